# ruff: noqa: RUF001 (Chinese and Japanese punctuation, as the pages show it)
"""The site in Chinese and Japanese in a real browser: the gallery and the swap form in the browser's language
(screenshots in artifacts/), and the footer's language switch remembered from page to page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from testing.cast import PASSWORD, user_create
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# What each language's visitor reads; none of it is English.
WORDS = {
    "zh-hans": {
        "locale": "zh-CN",
        "gallery_title": "选一个场景",
        "count": "1 个模板",
        "use": "登录或注册后使用这个模板",
        "log_out": "退出",
        "you": "你",
        "partner": "另一半",
        "submit": "换上我们的脸",
        "two_faces": "这张照片里有 2 张脸：点一下要用的那张。",
        "same_photo": "同一张你们俩的合照：第二大的脸是另一半的。",
        "language": "简体中文",
    },
    "ja": {
        "locale": "ja-JP",
        "gallery_title": "シーンを選ぶ",
        "count": "テンプレート 1 件",
        "use": "ログインまたは新規登録してこのテンプレートを使う",
        "log_out": "ログアウト",
        "you": "あなた",
        "partner": "パートナー",
        "submit": "ふたりの顔を入れる",
        "two_faces": "この写真には顔が 2 つあります。使う顔をタップしてください。",
        "same_photo": "同じふたりの写真です。2番目に大きい顔がパートナーです。",
        "language": "日本語",
    },
}
ENGLISH_LEFT_OVER = ("Choose your scene", "Log in", "Your partner", "Swap our faces in", "Upload a new photo")


def log_in(page, base_url: str, username: str, log_out_word: str) -> None:
    page.goto(base_url + reverse("account_login"))
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("nav")).to_contain_text(log_out_word)


def wait_for_images(page) -> None:
    for img in page.locator("main img").all():
        if img.is_visible():
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_the_gallery_and_the_swap_form_speak_the_browsers_language(
    site_server, browser, couple_template, faces_dir, artifacts_dir, language, viewport
):
    words = WORDS[language]
    size = "phone" if viewport is PHONE else "desktop"
    user_create(username="mei")
    connection.close()
    context = browser.new_context(viewport=viewport, locale=words["locale"])
    page = context.new_page()
    page.set_default_timeout(30_000)

    page.goto(site_server.url + reverse("couple_templates:list"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(words["gallery_title"])
    expect(page.locator(".tpl-count")).to_contain_text(words["count"])
    expect(page.locator("#language-switch [aria-current=true]")).to_have_text(words["language"])
    wait_for_images(page)
    page.screenshot(path=artifacts_dir / f"i18n-gallery-{language}-{size}.png", full_page=True)
    detail = page.locator(".tpl-card-link").first
    detail.click()
    expect(page.locator(".tpl-cta")).to_contain_text(words["use"])
    body = page.locator("body").inner_text()
    assert not [word for word in ENGLISH_LEFT_OVER if word in body], body

    log_in(page, site_server.url, "mei", words["log_out"])
    page.goto(f"{site_server.url}/swaps/new/{couple_template.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".ring-legend")).to_contain_text(words["you"])
    expect(page.locator(".ring-legend")).to_contain_text(words["partner"])
    expect(page.locator("#swap-form button[type=submit]").last).to_have_text(words["submit"])
    # A photo of the two of you: the server's words and the script's (Django's JavaScript catalogue) both
    # arrive in the visitor's language.
    page.set_input_files("#id_husband_upload", str(faces_dir / "couple_man_woman_closeup.jpg"))
    expect(page.locator("fieldset[data-role=husband] .face-check")).to_contain_text(words["two_faces"])
    expect(page.locator("fieldset[data-role=wife] .face-check")).to_contain_text(words["same_photo"])
    wait_for_images(page)
    page.screenshot(path=artifacts_dir / f"i18n-swap-form-{language}-{size}.png", full_page=True)
    body = page.locator("body").inner_text()
    assert not [word for word in ENGLISH_LEFT_OVER if word in body], body
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_language_chosen_in_the_footer_is_remembered_across_pages(
    site_server, browser, couple_template, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    connection.close()
    # An English browser: English pages, until the visitor picks Japanese in the footer.
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    gallery = site_server.url + reverse("couple_templates:list") + "?sort=newest"
    page.goto(gallery)
    expect(page.locator("h1")).to_have_text("Choose your scene")
    page.locator("#language-switch button", has_text="日本語").click()
    # Back on the same page (its query kept), now in Japanese.
    page.wait_for_url(gallery)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("h1")).to_have_text("シーンを選ぶ")
    expect(page.locator("#language-switch [aria-current=true]")).to_have_text("日本語")
    page.screenshot(path=artifacts_dir / f"i18n-switched-ja-{size}.png", full_page=True)

    # Every page after it, in this tab and in a new one, follows the choice, not the browser.
    page.goto(site_server.url + "/")
    expect(page.locator("h1")).to_have_text("好きなカップルのシーンに、ふたりで入ろう")
    page.goto(site_server.url + reverse("couple_templates:detail", args=[couple_template.pk]))
    expect(page.locator(".tpl-cta")).to_contain_text("ログインまたは新規登録してこのテンプレートを使う")
    other = context.new_page()
    other.goto(site_server.url + reverse("account_login"))
    expect(other.locator("h1")).to_have_text("ログイン")
    # A Chinese visitor meanwhile gets Chinese, not the Japanese or English page kept in the cache.
    chinese = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    chinese.goto(gallery)
    expect(chinese.locator("h1")).to_have_text("选一个场景")
    chinese.context.close()

    # And back to English the same way.
    other.locator("#language-switch button", has_text="English").click()
    expect(other.locator("h1")).to_have_text("Log in")
    page.goto(gallery)
    expect(page.locator("h1")).to_have_text("Choose your scene")
    context.close()
