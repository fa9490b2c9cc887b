"""Errors on every form, as a person on a phone and a desktop sees them: the first error scrolled into
view, focused and announced; a too-large file refused at once with its size, the rest of the form kept."""

import pytest
from playwright.sync_api import expect

from testing.cast import PASSWORD, log_in
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; }"""


def size_name(viewport) -> str:
    return "phone" if viewport is PHONE else "desktop"


def assert_error_shown(page, selector: str) -> None:
    error = page.locator(selector).first
    expect(error).to_be_visible()
    assert page.evaluate(IN_VIEW, error.element_handle()), "the error is off screen"
    assert page.evaluate("el => document.activeElement === el", error.element_handle()), "the error is not focused"
    assert error.get_attribute("role") == "alert" or error.get_attribute("aria-live")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_swap_forms_error_is_in_view_and_focused_after_sending(
    site_server, browser, alice, couple_template, artifacts_dir, viewport
):
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}/swaps/new/{couple_template.pk}/")
    page.get_by_role("button", name="Swap our faces in").click()
    page.wait_for_load_state("load")
    assert_error_shown(page, "form .errorlist")
    expect(page.locator("form .errorlist").first).to_contain_text("Choose your photo")
    page.screenshot(path=artifacts_dir / f"error-in-view-swap-{size_name(viewport)}.png")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_log_in_and_sign_up_errors_are_in_view_and_focused(site_server, browser, alice, artifacts_dir, viewport):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{site_server.url}/accounts/login/")
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", PASSWORD + "-wrong")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    assert_error_shown(page, "form .form-errors")
    page.screenshot(path=artifacts_dir / f"error-in-view-login-{size_name(viewport)}.png")

    page.goto(f"{site_server.url}/accounts/signup/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=email]", "someone@example.com")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    assert_error_shown(page, "form .errorlist")
    assert page.input_value("input[name=email]") == "someone@example.com"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_too_large_photo_is_refused_at_once_with_its_size_and_the_form_keeps_the_rest(
    site_server, browser, alice, alice_photos, couple_template, settings, artifacts_dir, viewport
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}/swaps/new/{couple_template.pk}/")
    partner = page.locator("fieldset[data-role=wife]")
    partner.locator(".photo-option img").first.click()
    expect(partner.locator(".face-check")).to_contain_text("We found the face")
    chosen = partner.locator("input[name=wife_photo]:checked").get_attribute("value")

    big = b"\xff\xd8" + b"\0" * (3 * 1024 * 1024)
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/photos/check/" in request.url else None)
    page.set_input_files(
        "#id_husband_upload", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": big}]
    )
    message = page.locator(".file-too-large")
    expect(message).to_have_text("“IMG_0001.jpg” is 3 MB; the limit is 1 MB. Try a smaller copy or a screenshot.")
    assert_error_shown(page, ".file-too-large")
    # Nothing was sent, the file is out of the form, and the partner's photo is still chosen.
    assert page.evaluate("document.getElementById('id_husband_upload').files.length") == 0
    expect(partner.locator(f"input[name=wife_photo][value='{chosen}']")).to_be_checked()
    page.screenshot(path=artifacts_dir / f"too-large-kept-{size_name(viewport)}.png", full_page=True)
    assert sent == []
