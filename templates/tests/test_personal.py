"""Signed-in visitors get the gallery and template pages from the shared cache with their own parts filled in."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from templates.cache import CACHE_HEADER
from templates.services import favourite_toggle
from testing.cast import make_template, user_create

pytestmark = pytest.mark.django_db(transaction=True)
GALLERY = reverse("couple_templates:list")


def hearts(response) -> dict[int, str]:
    """Each heart on the page: template id -> aria-pressed."""
    found = re.findall(
        r'action="/templates/favourites/(\d+)/" class="tpl-fav">.*?aria-pressed="(\w+)"', response.text, re.S
    )
    return {int(pk): pressed for pk, pressed in found}


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def full_render(client: Client, url: str):
    """The page rendered in full for the client's person, as with messages waiting (never from the cache)."""
    client.cookies["messages"] = ""
    try:
        response = client.get(url)
    finally:
        del client.cookies["messages"]
    assert response.get(CACHE_HEADER) is None
    return response


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_shared_page_shows_each_person_their_own_hearts_and_name(client):
    lanterns, rooftop = make_template(title="Lantern festival"), make_template(title="Rooftop")
    alice, bob = user_create(username="alice"), user_create(username="bob")
    favourite_toggle(user=alice, template=lanterns)
    favourite_toggle(user=bob, template=rooftop)
    assert client.get(GALLERY)[CACHE_HEADER] == "miss"  # a visitor's visit keeps the page

    for person, liked, other in ((alice, lanterns, rooftop), (bob, rooftop, lanterns)):
        page = signed_in(person).get(GALLERY)
        # The body came from the shared cache, and is the visitor's page but for the person's parts.
        assert page[CACHE_HEADER] == "hit-personal"
        assert f"Signed in as {person.username}" in page.text and "Log out" in page.text
        assert "Sign up" not in page.text
        assert hearts(page) == {liked.pk: "true", other.pk: "false"}
        assert 'name="csrfmiddlewaretoken"' in page.text

    # Exactly what a full render for her gives (the CSRF tokens aside, which differ on every render).
    alice_client = signed_in(alice)
    shared = alice_client.get(GALLERY)
    rendered = full_render(alice_client, GALLERY)
    assert without_tokens(shared.text) == without_tokens(rendered.text)
    # The visitors' page itself never carries a person's parts.
    visitor = client.get(GALLERY)
    assert hearts(visitor) == {} and "Signed in as" not in visitor.text and "Sign up" in visitor.text


def test_the_template_page_is_shared_too_and_a_heart_pressed_shows_at_once(client):
    lanterns = make_template(title="Lantern festival")
    alice = user_create(username="alice")
    detail = reverse("couple_templates:detail", args=[lanterns.pk])
    client.get(detail)
    alice_client = signed_in(alice)
    page = alice_client.get(detail)
    assert page[CACHE_HEADER] == "hit-personal"
    assert "Use this template" in page.text and "Log in or sign up" not in page.text
    assert hearts(page) == {lanterns.pk: "false"}
    # Her heart is hers, not the page's: pressing it changes nothing shared, and shows on the next view.
    alice_client.post(reverse("couple_templates:favourite", args=[lanterns.pk]), {"next": detail})
    again = alice_client.get(detail)
    # The heart's confirmation message is waiting: this view is rendered in full, then the shared page again.
    assert again.get(CACHE_HEADER) is None and hearts(again) == {lanterns.pk: "true"}
    assert hearts(alice_client.get(detail)) == {lanterns.pk: "true"}
    assert hearts(client.get(detail)) == {}


def test_a_full_gallery_page_fills_every_persons_heart_with_a_few_queries_not_one_per_card(
    client, django_assert_max_num_queries
):
    """The person's parts share one context (their favourites read once), however many cards the page has."""
    cards = [make_template(title=f"Scene {i}") for i in range(12)]
    alice = user_create(username="alice")
    for template in cards[:3]:
        favourite_toggle(user=alice, template=template)
    client.get(GALLERY)
    alice_client = signed_in(alice)
    alice_client.get(GALLERY)
    # The session, the person, the cards' titles, the favourites.
    with django_assert_max_num_queries(5):
        page = alice_client.get(GALLERY)
    assert page[CACHE_HEADER] == "hit-personal"
    assert hearts(page) == {t.pk: "true" if t in cards[:3] else "false" for t in cards}


def test_each_cards_part_carries_its_own_id_and_title_escaped_as_a_full_render_does(client):
    odd = make_template(title='Tom & "Jerry" <at> l\'Opéra')
    plain = make_template(title="Rooftop")
    alice = user_create(username="alice")
    favourite_toggle(user=alice, template=odd)
    client.get(GALLERY)
    alice_client = signed_in(alice)
    shared = alice_client.get(GALLERY)
    assert shared[CACHE_HEADER] == "hit-personal"
    assert hearts(shared) == {odd.pk: "true", plain.pk: "false"}
    assert "Tom &amp; &quot;Jerry&quot; &lt;at&gt; l&#x27;Opéra" in shared.text and "\x00" not in shared.text
    rendered = full_render(alice_client, GALLERY)
    assert without_tokens(shared.text) == without_tokens(rendered.text)


def test_once_the_persons_parts_are_kept_a_shared_page_runs_no_sql_and_is_the_full_render(
    client, django_assert_num_queries
):
    """The quick way: page, session and the person's kept parts come from the cache; no query at all."""
    lanterns, rooftop = make_template(title="Lantern & <festival>"), make_template(title="Rooftop")
    alice = user_create(username="alice")
    favourite_toggle(user=alice, template=lanterns)
    detail = reverse("couple_templates:detail", args=[rooftop.pk])
    client.get(GALLERY), client.get(detail)
    alice_client = signed_in(alice)
    alice_client.get(GALLERY)  # her parts rendered once and kept
    with django_assert_num_queries(0):
        shared = alice_client.get(GALLERY)
    assert shared[CACHE_HEADER] == "hit-personal"
    assert hearts(shared) == {lanterns.pk: "true", rooftop.pk: "false"}
    assert "Signed in as alice" in shared.text
    # Another page's parts (the template page's heart and label) are added to what is kept, once.
    alice_client.get(detail)
    with django_assert_num_queries(0):
        page = alice_client.get(detail)
    assert hearts(page) == {rooftop.pk: "false"} and "Use this template" in page.text
    # Each is what a full render for her gives, but for the CSRF tokens, which differ on every render.
    assert without_tokens(shared.text) == without_tokens(full_render(alice_client, GALLERY).text)
    assert without_tokens(page.text) == without_tokens(full_render(alice_client, detail).text)


def test_a_page_no_visitor_has_asked_for_yet_is_kept_for_visitors_when_a_person_asks(client):
    """A signed-in person's miss renders the visitors' page (once) and keeps it: they and the next person
    get it from the cache with their own parts, and a visitor gets it without them."""
    lanterns = make_template(title="Lantern festival")
    alice = user_create(username="alice")
    favourite_toggle(user=alice, template=lanterns)
    detail = reverse("couple_templates:detail", args=[lanterns.pk])
    alice_client = signed_in(alice)
    page = alice_client.get(detail)
    assert page[CACHE_HEADER] == "hit-personal" and hearts(page) == {lanterns.pk: "true"}
    assert "Signed in as alice" in page.text
    visitor = client.get(detail)
    assert visitor[CACHE_HEADER] == "hit" and hearts(visitor) == {} and "Signed in as" not in visitor.text
    assert "Log in or sign up to use this template" in visitor.text
    assert without_tokens(page.text) == without_tokens(full_render(alice_client, detail).text)


def test_the_quick_page_carries_a_working_csrf_token_and_a_signed_in_pages_headers(client):
    rooftop = make_template(title="Rooftop")
    alice = user_create(username="alice")
    client.get(GALLERY)
    alice_client = Client(enforce_csrf_checks=True)
    alice_client.force_login(alice)
    slow = alice_client.get(GALLERY)  # her parts made here (sessions, authentication, CSRF middleware)
    del alice_client.cookies["csrftoken"]  # a browser without the CSRF cookie yet
    quick = alice_client.get(GALLERY)
    assert quick[CACHE_HEADER] == "hit-personal" and "csrftoken" in quick.cookies
    for header in ("Cache-Control", "Vary", "Content-Language", "Content-Security-Policy", "X-Frame-Options"):
        assert quick.get(header) == slow.get(header), header
    assert "private" in quick["Cache-Control"] and "Cookie" in quick["Vary"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', quick.text).group(1)
    pressed = alice_client.post(
        reverse("couple_templates:favourite", args=[rooftop.pk]), {"csrfmiddlewaretoken": token, "next": GALLERY}
    )
    assert pressed.status_code == 302
    refused = alice_client.post(
        reverse("couple_templates:favourite", args=[rooftop.pk]), {"csrfmiddlewaretoken": "x" * 64}
    )
    assert refused.status_code == 403


def test_kept_parts_follow_the_account_hearts_and_language(client):
    lanterns = make_template(title="Lantern festival")
    alice = user_create(username="alice")
    client.get(GALLERY)
    alice_client = signed_in(alice)
    alice_client.get(GALLERY), alice_client.get(GALLERY)
    # A heart pressed elsewhere (another tab, the album page): shown on her next page.
    favourite_toggle(user=alice, template=lanterns)
    assert hearts(alice_client.get(GALLERY)) == {lanterns.pk: "true"}
    # Made staff: the Admin link; renamed: the new name.
    alice.is_staff, alice.username = True, "alice2"
    alice.save()
    page = alice_client.get(GALLERY)
    assert ">Admin<" in page.text and "Signed in as alice2" in page.text
    # Her parts in each language she reads the site in, never one language's for another.
    Client(HTTP_ACCEPT_LANGUAGE="ja").get(GALLERY)
    for _ in range(2):
        japanese = alice_client.get(GALLERY, HTTP_ACCEPT_LANGUAGE="ja")
        assert japanese[CACHE_HEADER] == "hit-personal" and "ログアウト" in japanese.text
        assert "Log out" not in japanese.text
    assert "Log out" in alice_client.get(GALLERY).text


def test_a_changed_password_or_a_deleted_account_never_gets_the_kept_parts(client):
    make_template(title="Lantern festival")
    alice, bob = user_create(username="alice"), user_create(username="bob")
    client.get(GALLERY)
    alice_client, bob_client = signed_in(alice), signed_in(bob)
    for person in (alice_client, bob_client):
        person.get(GALLERY), person.get(GALLERY)  # parts kept, the quick way in use
    # Her password changed from another device: this session is no longer hers.
    alice.set_password("another-Password-2")
    alice.save()
    page = alice_client.get(GALLERY)
    assert "Signed in as" not in page.text and "Log in" in page.text
    # His account deleted: his old session shows the visitor's page.
    bob.delete()
    page = bob_client.get(GALLERY)
    assert "Signed in as" not in page.text and "Sign up" in page.text
