"""My photos' cards are kept in the shared cache (gallery.fragments), and still show every change at once,
in the visitor's language, with a working form."""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.template import engines
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse

from gallery.fragments import CSRF_STAND_IN, cards_render
from gallery.models import Image
from testing.cast import stored_image, user_create

pytestmark = pytest.mark.django_db

PHOTO_CARD = "gallery/includes/photo_card.html"


def renders_of(response, name: str) -> int:
    """How many times the page rendered the template `name` (a kept card is not rendered)."""
    return [template.name for template in response.templates].count(name)


def test_a_second_visit_shows_the_kept_cards(client):
    alice = user_create(username="alice")
    for i in range(3):
        stored_image(owner=alice, name=f"beach-{i}.jpg")
    client.force_login(alice)
    first = client.get(reverse("gallery:photo_list"))
    assert renders_of(first, PHOTO_CARD) == 3
    again = client.get(reverse("gallery:photo_list"))
    assert renders_of(again, PHOTO_CARD) == 0
    assert again.text.count('class="photo-card"') == 3
    assert all(f"beach-{i}.jpg" in again.text for i in range(3))


def test_a_photo_deleted_or_changed_shows_at_once(client):
    alice = user_create(username="alice")
    kept, gone = stored_image(owner=alice, name="kept.jpg"), stored_image(owner=alice, name="gone.jpg")
    client.force_login(alice)
    assert 'title="gone.jpg"' in client.get(reverse("gallery:photo_list")).text
    response = client.post(reverse("gallery:image_delete", args=[gone.pk]), follow=True)
    assert 'title="gone.jpg"' not in response.text and 'title="kept.jpg"' in response.text
    assert "1 photo<" in response.text
    # Changed behind the pages' back (no save, no signal): the card's key is what it shows.
    Image.objects.filter(pk=kept.pk).update(
        filename="renamed.jpg", metadata={**kept.metadata, "face_check": {"ok": False, "message": "No face"}}
    )
    page = client.get(reverse("gallery:photo_list")).text
    assert "renamed.jpg" in page and "kept.jpg" not in page
    assert "No usable face: not offered for swaps" in page


def test_a_kept_card_with_a_form_carries_the_visitors_own_token():
    alice = user_create(username="alice")
    photo = stored_image(owner=alice, name="sideways.jpg")
    Image.objects.filter(pk=photo.pk).update(metadata={**photo.metadata, "face_check": {"ok": False, "message": ""}})
    rotate = reverse("gallery:image_rotate", args=[photo.pk])
    form_token = re.compile(
        rf'action="{re.escape(rotate)}" class="photo-rotate">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"'
    )
    # Two browsers of the same person: the second is given the card the first one's visit kept.
    browsers, pages = [], []
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(alice)
        browsers.append(browser)
        pages.append(browser.get(reverse("gallery:photo_list")))
    assert renders_of(pages[0], PHOTO_CARD) == 1 and renders_of(pages[1], PHOTO_CARD) == 0
    assert CSRF_STAND_IN not in pages[1].text
    turned = browsers[1].post(
        rotate, {"direction": "left", "csrfmiddlewaretoken": form_token.search(pages[1].text).group(1)}
    )
    assert turned.status_code == 302  # accepted (a token not its own would be refused: 403)
    assert browsers[1].get(reverse("gallery:photo_list")).text.count('class="photo-rotate"') == 0


def test_the_cards_follow_the_language(client):
    alice = user_create(username="alice")
    stored_image(owner=alice, name="beach.jpg")
    client.force_login(alice)
    assert 'class="photo-delete"' in client.get(reverse("gallery:photo_list")).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("gallery:photo_list"))
    card = page.text[page.text.index('<li class="photo-card">') :]
    card = card[: card.index("</li>")]
    assert "删除" in card and ">Delete<" not in card
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert ">Delete<" in client.get(reverse("gallery:photo_list")).text


def test_a_card_that_reads_more_than_its_key_covers_is_shown_but_not_kept(rf, caplog):
    """The safety net: a card whose rendering loaded a field its key did not cover (deferred here) is right
    on the page, and rendered again next time rather than kept with a key that would not change."""
    alice = user_create(username="alice")
    photo = stored_image(owner=alice, name="beach.jpg")
    request = rf.get("/photos/")
    request.user = alice
    rendered: list[str] = []

    def count(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(count)
    try:
        for _ in range(2):
            lean = Image.objects.only("filename").get(pk=photo.pk)  # the card shows the size too
            with caplog.at_level(logging.ERROR, logger="gallery.fragments"):
                (html,) = cards_render(request, PHOTO_CARD, [{"photo": lean}])
            assert f"{photo.width} \N{MULTIPLICATION SIGN} {photo.height}" in html
    finally:
        template_rendered.disconnect(count)
    assert rendered.count(PHOTO_CARD) == 2
    assert "loaded more than its key covers" in caplog.text


def test_the_menu_is_kept_per_person_and_follows_their_account(client):
    alice, bob = user_create(username="alice"), user_create(username="bob")
    admin = f'href="{reverse("admin:index")}"'
    client.force_login(alice)
    first = client.get(reverse("gallery:photo_list"))
    assert renders_of(first, "includes/nav_links.html") == 1 and "Signed in as alice" in first.text
    again = client.get(reverse("gallery:photo_list"))
    assert renders_of(again, "includes/nav_links.html") == 0
    assert "Signed in as alice" in again.text and admin not in again.text
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    assert admin in client.get(reverse("gallery:photo_list")).text
    client.force_login(bob)
    page = client.get(reverse("gallery:photo_list")).text
    assert "Signed in as bob" in page and "Signed in as alice" not in page and admin not in page
    client.logout()
    assert "Log in" in client.get(reverse("home")).text


def test_a_deploy_that_changes_an_included_template_or_the_static_files_shows_new_cards(rf, settings, tmp_path):
    """A card's key covers every file its HTML comes from: a template it includes, the static manifest."""
    from gallery.fragments import site_digest

    folder = tmp_path / "templates"
    (folder / "deploy").mkdir(parents=True)
    (folder / "deploy" / "card.html").write_text('<p>{% include "deploy/part.html" %}</p>')
    (folder / "deploy" / "part.html").write_text("old words")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [folder]}]
    settings.STATIC_ROOT = tmp_path / "static"
    request = rf.get("/photos/")
    request.user = user_create(username="alice")

    def deployed() -> str:
        # A deploy starts new processes: nothing digested or compiled yet.
        site_digest.cache_clear()
        for engine in engines.all():
            for loader in engine.engine.template_loaders:
                getattr(loader, "reset", lambda: None)()
        (html,) = cards_render(request, "deploy/card.html", [{}])
        return html

    assert deployed() == "<p>old words</p>"
    (folder / "deploy" / "part.html").write_text("new words")
    assert deployed() == "<p>new words</p>"
    before = site_digest()
    settings.STATIC_ROOT.mkdir()
    (settings.STATIC_ROOT / "staticfiles.json").write_text('{"paths": {"app.css": "app.1a2b.css"}}')
    site_digest.cache_clear()
    assert site_digest() != before


def test_the_development_server_shows_a_card_template_edited_while_it_runs(rf, settings, tmp_path):
    """runserver keeps its process when a template changes (it only resets the template loaders): the
    kept cards must follow the edit all the same."""
    from django.utils.autoreload import file_changed

    from gallery.fragments import site_digest

    folder = tmp_path / "templates"
    (folder / "dev").mkdir(parents=True)
    (folder / "dev" / "card.html").write_text('<p>{% include "dev/part.html" %}</p>')
    part = folder / "dev" / "part.html"
    part.write_text("before the edit")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [folder]}]
    request = rf.get("/photos/")
    request.user = user_create(username="alice")
    site_digest.cache_clear()
    assert cards_render(request, "dev/card.html", [{}]) == ["<p>before the edit</p>"]
    part.write_text("after the edit")
    # What the development server's file watcher announces.
    file_changed.send(sender=None, file_path=part)
    assert cards_render(request, "dev/card.html", [{}]) == ["<p>after the edit</p>"]
