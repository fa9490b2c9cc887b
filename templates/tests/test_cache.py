"""The anonymous gallery and detail pages come from the shared cache, and never show anything stale."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from templates.cache import CACHE_HEADER, pages_version
from templates.services import template_activate, template_archive, template_set_tags
from templates.tests.test_views import titles
from testing.cast import make_template, user_create

pytestmark = pytest.mark.django_db(transaction=True)
GALLERY = reverse("couple_templates:list")


def test_a_second_anonymous_visit_is_served_from_the_cache_without_queries(client, django_assert_num_queries):
    make_template(title="Lantern festival")
    first = client.get(GALLERY)
    assert first[CACHE_HEADER] == "miss"
    with django_assert_num_queries(0):
        second = client.get(GALLERY)
    assert second[CACHE_HEADER] == "hit"
    assert second["X-Frame-Options"] == "DENY" and second["X-Content-Type-Options"] == "nosniff"
    assert second.content == first.content and titles(second) == ["Lantern festival"]
    assert "Cookie" in second["Vary"]


def test_the_query_string_is_normalised(client):
    make_template(title="Rooftop", category="movie")
    assert client.get(GALLERY + "?category=movie&sort=popular")[CACHE_HEADER] == "miss"
    # Same parameters in another order, with empty ones and a tracking tag: the same cached page.
    again = client.get(GALLERY + "?utm_source=mail&sort=popular&q=&category=movie")
    assert again[CACHE_HEADER] == "hit" and titles(again) == ["Rooftop"]
    assert client.get(GALLERY + "?category=acg")[CACHE_HEADER] == "miss"


@pytest.mark.parametrize(
    "change",
    ["create", "rename", "archive", "activate", "tags", "delete"],
)
def test_any_template_change_shows_at_once(client, change):
    kept = make_template(title="Kept", tags=("beach",))
    other = make_template(title="Other", is_active=change != "activate")
    detail = reverse("couple_templates:detail", args=[kept.pk])
    client.get(GALLERY), client.get(detail), client.get(GALLERY + "?tag=beach")
    assert client.get(GALLERY)[CACHE_HEADER] == "hit"
    version = pages_version()

    if change == "create":
        make_template(title="Brand new")
    elif change == "rename":
        kept.title = "Kept, renamed"
        kept.save(update_fields=["title"])
    elif change == "archive":
        template_archive(template=other)
    elif change == "activate":
        template_activate(template=other)
    elif change == "tags":
        template_set_tags(template=other, tags=["beach"])
    elif change == "delete":
        other.delete()

    assert pages_version() > version
    shown = titles(client.get(GALLERY))
    expected = {
        "create": {"Brand new", "Kept", "Other"},
        "rename": {"Kept, renamed", "Other"},
        "archive": {"Kept"},
        "activate": {"Kept", "Other"},
        "tags": {"Kept", "Other"},
        "delete": {"Kept"},
    }[change]
    assert set(shown) == expected
    if change == "tags":
        assert set(titles(client.get(GALLERY + "?tag=beach"))) == {"Kept", "Other"}
    if change == "rename":
        assert "Kept, renamed" in client.get(detail).text


def test_a_change_committed_elsewhere_invalidates_again_on_commit(client):
    template = make_template(title="Before")
    client.get(GALLERY)
    with transaction.atomic():
        template.title = "After"
        template.save(update_fields=["title"])
        during = pages_version()
    assert pages_version() > during  # bumped again once committed
    assert titles(client.get(GALLERY)) == ["After"]


def test_logged_in_visitors_get_their_own_parts_and_pending_messages_a_fresh_page(client):
    make_template(title="Sakura walk")
    client.get(GALLERY)
    client.force_login(user_create(username="mei"))
    response = client.get(GALLERY)
    # The shared page with the person's parts filled in (templates/personal.py; test_personal.py).
    assert response[CACHE_HEADER] == "hit-personal"
    assert "My photos" in response.text  # the logged-in navigation, never cached for others
    client.logout()
    assert "My photos" not in client.get(GALLERY).text
    client.cookies["messages"] = "something"
    assert CACHE_HEADER not in client.get(GALLERY)


def test_an_unknown_template_is_not_cached(client):
    url = reverse("couple_templates:detail", args=[999999])
    assert client.get(url).status_code == 404
    assert CACHE_HEADER not in client.get(url)


def test_a_signed_in_miss_on_a_path_outside_latin_1_is_a_404(client):
    """The visitor's copy of a signed-in request keeps its path in WSGI's form (found by the URL fuzz)."""
    client.force_login(user_create(username="mei"))
    assert client.get("/templates/favourites/ü😀/").status_code == 404


@pytest.mark.parametrize("junk", ["\x1b[31m", "ü😀", "x" * 400])
def test_a_junk_path_under_the_gallery_is_refused_with_a_short_plain_key(client, junk):
    """Keys stay short and printable whatever path is asked for (the URL fuzz's junk made Django warn of
    keys with control characters and of more than 250 characters)."""
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning
    from django.test import RequestFactory

    from templates.cache import page_key

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        assert client.get(f"/templates/{junk}/").status_code in (400, 404)
    key = page_key(RequestFactory().get(f"/templates/{junk}/"), "en")
    assert len(key) < 100 and key.isprintable() and key.isascii()
    assert page_key(RequestFactory().get("/templates/12/"), "en").endswith(":/templates/12/?")
