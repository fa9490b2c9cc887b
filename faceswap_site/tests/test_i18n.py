# ruff: noqa: RUF001 (Chinese and Japanese punctuation, as the pages show it)
"""The site in English, Simplified Chinese and Japanese: the browser's language unless the visitor chose one in
the footer (remembered in a cookie), and the shared page cache keeps each language's pages apart."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from templates.cache import CACHE_HEADER
from testing.cast import make_template, user_create

pytestmark = pytest.mark.django_db(transaction=True)
GALLERY = reverse("couple_templates:list")
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
JAPANESE = {"HTTP_ACCEPT_LANGUAGE": "ja-JP,ja;q=0.9"}


def page_language(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


def test_the_language_comes_from_the_browser_and_english_otherwise(client):
    assert page_language(client.get("/")) == "en"
    assert page_language(client.get("/", **CHINESE)) == "zh-hans"
    assert page_language(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9")) == "zh-hans"
    japanese = client.get("/", **JAPANESE)
    assert page_language(japanese) == "ja" and japanese["Content-Language"] == "ja"
    # A language the site does not have: English, not an error.
    assert page_language(client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")) == "en"


def test_the_footer_switch_is_remembered_without_a_token_and_beats_the_browser():
    # A fresh browser with CSRF checks on, as a real one: the footer's form carries no token (cached pages).
    browser = Client(enforce_csrf_checks=True, **JAPANESE)
    page = browser.get(GALLERY)
    assert 'id="language-switch"' in page.text and "简体中文" in page.text and "日本語" in page.text
    answer = browser.post(reverse("set_language"), {"language": "zh-hans", "next": GALLERY + "?sort=newest"})
    assert answer.status_code == 302 and answer["Location"] == GALLERY + "?sort=newest"
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans" and cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    for path in ("/", GALLERY, reverse("account_login")):
        assert page_language(browser.get(path)) == "zh-hans", path
    # Somewhere else entirely is not followed; a language the site does not have changes nothing.
    away = browser.post(reverse("set_language"), {"language": "ja", "next": "https://evil.example/"})
    assert away.status_code == 302 and not away["Location"].startswith("https://evil.example")
    browser.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert page_language(browser.get("/")) == "ja"


def test_a_chinese_visitor_never_gets_the_english_cached_page(client):
    make_template(title="Lantern festival")
    english = client.get(GALLERY)
    assert english[CACHE_HEADER] == "miss" and page_language(english) == "en"
    assert client.get(GALLERY)[CACHE_HEADER] == "hit"

    chinese = Client(**CHINESE).get(GALLERY)
    assert chinese[CACHE_HEADER] == "miss" and page_language(chinese) == "zh-hans"
    again = Client(**CHINESE).get(GALLERY)
    assert again[CACHE_HEADER] == "hit" and page_language(again) == "zh-hans"
    assert "Accept-Language" in again["Vary"] and again["Content-Language"] == "zh-hans"

    # The footer's choice (the cookie) picks the page, whatever the browser says.
    chooser = Client(**CHINESE)
    chooser.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    japanese = chooser.get(GALLERY)
    assert japanese[CACHE_HEADER] == "miss" and page_language(japanese) == "ja"
    assert page_language(client.get(GALLERY)) == "en"


def test_a_signed_in_visitor_gets_the_shared_page_in_their_language():
    make_template(title="Lantern festival")
    Client(**JAPANESE).get(GALLERY)  # kept for Japanese visitors only
    alice = Client(**CHINESE)
    alice.force_login(user_create(username="alice"))
    # Not the Japanese page: the Chinese visitors' page, rendered and kept on her visit, with her parts.
    page = alice.get(GALLERY)
    assert page[CACHE_HEADER] == "hit-personal" and page_language(page) == "zh-hans"
    assert page_language(Client(**CHINESE).get(GALLERY)) == "zh-hans"
    page = alice.get(GALLERY)
    assert page[CACHE_HEADER] == "hit-personal" and page_language(page) == "zh-hans"


def test_the_scripts_catalogue_is_a_script_in_the_pages_language(client):
    page = client.get("/", **JAPANESE)
    src = re.search(r'<script src="([^"]*/i18n/js/[^"]*)"', page.text).group(1)
    assert src.endswith("?lang=ja")
    catalogue = client.get(src, **JAPANESE)
    assert catalogue.status_code == 200 and "javascript" in catalogue["Content-Type"]
    assert "django.gettext" in catalogue.text


def test_a_failed_swap_says_why_in_the_owners_language(client):
    """The worker stores its message in English (it has no visitor's language); its owner reads it in theirs."""
    from swaps.models import FaceSwapTask
    from swaps.services.base import SWAP_JOBS
    from testing.cast import encode, picture, upload_photo_bytes

    owner = user_create(username="mei")
    photo = upload_photo_bytes(owner, encode(picture((64, 64), (200, 180, 160))), "mine.jpg")
    task = FaceSwapTask.objects.create(
        user=owner,
        template=make_template(),
        husband_image=photo,
        wife_image=photo,
        status=FaceSwapTask.Status.FAILED,
        error_message=SWAP_JOBS.timeout_error,
    )
    reader = Client(**JAPANESE)
    reader.force_login(owner)
    page = reader.get(task.get_absolute_url())
    assert "時間がかかりすぎたため止めました" in page.text and "took too long" not in page.text
    status = reader.get(reverse("swaps:status", args=[task.pk])).json()
    assert status["error_message"].startswith("このスワップは時間がかかりすぎたため止めました")
    english = Client()
    english.force_login(owner)
    assert SWAP_JOBS.timeout_error in english.get(task.get_absolute_url()).text


def test_the_engines_words_about_a_photo_are_said_in_the_visitors_language():
    """The engine (no Django) explains in English; the swap form shows it in the visitor's language."""
    import numpy as np
    from django.utils import translation

    from faceengine import EngineError
    from gallery.engine_words import engine_words
    from swaps.services.base import engine_get

    with pytest.raises(EngineError) as caught:
        engine_get().person_faces(np.full((20, 30, 3), 128, dtype=np.uint8))
    english = caught.value.message
    assert english.startswith("This photo is only 30x20 pixels")
    with translation.override("ja"):
        assert engine_words(english) == (
            "この写真は 30x20 ピクセルしかなく、顔を見つけるには小さすぎます。"
            "もっと大きな写真をアップロードしてください。"
        )
    with translation.override("zh-hans"):
        assert "30x20 像素" in engine_words(english)
    assert engine_words(english) == english  # English stays as the engine wrote it
    assert engine_words("Something the engine never said.") == "Something the engine never said."


class _ShownText(HTMLParser):
    """The words a page shows or reads out: text outside scripts and styles, and the read attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.raw = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.raw += 1
        self.words += [
            value for name, value in attrs if name in ("alt", "title", "aria-label", "placeholder") and value
        ]

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.raw:
            self.raw -= 1

    def handle_data(self, data):
        if not self.raw and data.strip():
            self.words.append(data.strip())


# Not English, whatever the language: the site's and the languages' names, file formats, people's own words.
NOT_ENGLISH = {"Couple", "Face", "Swap", "English", "JPEG", "PNG", "WebP", "iPhone", "HEIC", "ACG", "ZIP", "Esc"}


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_every_page_of_a_signed_in_couple_is_free_of_english(language):
    """A crawl of the pages a couple visits, in Chinese and in Japanese: no English word left on them."""
    from swaps.models import FaceSwapTask
    from testing.cast import encode, picture, upload_photo_bytes

    owner = user_create(username="mei")
    photo = upload_photo_bytes(owner, encode(picture((64, 64), (200, 180, 160))), "mine.jpg")
    template = make_template(title="Lantern")
    waiting = FaceSwapTask.objects.create(user=owner, template=template, husband_image=photo, wife_image=photo)
    reader = Client(HTTP_ACCEPT_LANGUAGE=language)
    visitor = Client(HTTP_ACCEPT_LANGUAGE=language)
    reader.force_login(owner)
    paths = (
        "/",
        GALLERY,
        reverse("couple_templates:detail", args=[template.pk]),
        reverse("swaps:list"),
        waiting.get_absolute_url(),
        reverse("swaps:new", args=[template.pk]),
        reverse("swaps:albums"),
        reverse("swaps:album_new"),
        reverse("swaps:trash"),
        reverse("gallery:photo_list"),
        photo.get_absolute_url(),
        reverse("accounts:profile"),
        reverse("accounts:delete"),
        reverse("account_change_password"),
        reverse("account_email"),
        reverse("couple_templates:favourites"),
        reverse("couple_templates:own_list"),
        reverse("couple_templates:own_new"),
        "/no-such-page/",
    )
    pages = [(reader, path) for path in paths] + [
        (visitor, path) for path in ("/", GALLERY, reverse("account_login"), reverse("account_signup"))
    ]
    leftovers = {}
    for client, path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        shown = _ShownText()
        shown.feed(response.content.decode())
        text = " ".join(shown.words)
        for own in ("Lantern", "mine.jpg", "mei@example.com", "mei", "you@example.com"):
            text = text.replace(own, " ")
        english = sorted({word for word in re.findall(r"[A-Za-z]{3,}", text) if word not in NOT_ENGLISH})
        if english:
            leftovers[path] = english
    assert not leftovers, f"English left on {language} pages: {leftovers}"


def test_e_mails_to_a_person_are_written_in_the_language_they_use_the_site_in(mailoutbox):
    """A curator (in English) takes down a Japanese user's shared picture: the mail is in Japanese."""
    from swaps import services
    from swaps.models import FaceSwapTask, ShareReport
    from testing.cast import PASSWORD, stored_image

    owner = user_create(username="mei")
    # She logs in with a Japanese browser, then picks Chinese in the footer: her e-mails follow her choice.
    browser = Client(**JAPANESE)
    assert browser.post(reverse("account_login"), {"login": "mei", "password": PASSWORD}).status_code == 302
    owner.refresh_from_db()
    assert owner.language == "ja"
    browser.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == "zh-hans"

    photo = stored_image(owner=owner)
    task = FaceSwapTask.objects.create(
        user=owner,
        template=make_template(title="Beach day"),
        husband_image=photo,
        wife_image=photo,
        result_image=stored_image(owner=owner, image_type="result"),
        status=FaceSwapTask.Status.COMPLETED,
        progress=100,
    )
    link = services.share_create(user=owner, task=task, days=7)
    Client().post(reverse("share:report", args=[link.token]), {"reason": "nudity"})
    curator = user_create(username="curator", is_staff=True)
    services.report_takedown(report=ShareReport.objects.get(), curator=curator, template_too=False)
    message = mailoutbox[-1]
    assert message.to == [owner.email]
    assert message.subject == "你分享的一张图片已被下架" and "原因：裸露或色情内容" in message.body
    assert "taken down" not in message.body


@pytest.mark.django_db
def test_my_photos_says_why_a_photo_has_no_usable_face_in_the_visitors_language():
    """The engine's English sentence kept with a photo's face check is shown translated (its tooltip)."""
    from django.utils import translation

    from gallery.services import image_upload
    from testing.cast import picture_upload

    owner = user_create(username="hanako")
    photo = image_upload(owner=owner, file=picture_upload("blank.png"), image_type="source")
    english = "This photo shows no face we can find; please upload a clear photo of the face."
    photo.metadata = {**photo.metadata, "face_check": {"ok": False, "message": english}}
    photo.save(update_fields=["metadata"])
    client = Client(**JAPANESE)
    client.force_login(owner)
    page = client.get(reverse("gallery:photo_list")).text
    assert 'class="photo-unusable" title="' in page
    assert english not in page
    with translation.override("ja"):
        assert translation.gettext(english) != english and translation.gettext(english) in page
