"""My swaps' cards and the swap form's photo pickers are kept in the shared cache (gallery.fragments): a
second visit renders none of them, yet every change shows at once, each of a couple sees their own card of
the same swap, and each language its own words."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from swaps.models import FaceSwapTask, PartnerConsent
from templates.models import Template
from testing.cast import make_template, stored_image, user_create

pytestmark = pytest.mark.django_db

SWAP_CARD = "swaps/includes/swap_card.html"
PICKER = "swaps/includes/photo_picker.html"


def renders_of(response, name: str) -> int:
    """How many times the page rendered the template `name` (a kept card is not rendered)."""
    return [template.name for template in response.templates].count(name)


def card_of(page: str, task: FaceSwapTask) -> str:
    """The HTML of `task`'s card on My swaps."""
    link = f'<a href="{task.get_absolute_url()}" class="swap-card-link">'
    start = page.rindex('<li class="swap-card card">', 0, page.index(link))
    return page[start : page.index("</li>", start)]


def swap(user, template, **fields) -> FaceSwapTask:
    return FaceSwapTask.objects.create(user=user, template=template, source_faces={}, **fields)


def test_a_swap_finishing_shows_on_its_card_at_once(client):
    alice = user_create(username="alice")
    template = make_template(title="Lantern festival")
    task = swap(alice, template, status="processing", progress=40)
    client.force_login(alice)
    first = client.get(reverse("swaps:list"))
    assert renders_of(first, SWAP_CARD) == 1 and 'badge-processing">Processing<' in card_of(first.text, task)
    again = client.get(reverse("swaps:list"))
    assert renders_of(again, SWAP_CARD) == 0 and card_of(again.text, task) == card_of(first.text, task)
    # Finished as the worker finishes it: a conditional update, no save() and no signal.
    result = stored_image(owner=alice, image_type="result", name="result.jpg")
    FaceSwapTask.objects.filter(pk=task.pk).update(status="completed", progress=100, result_image=result)
    card = card_of(client.get(reverse("swaps:list")).text, task)
    assert 'badge-completed">Done<' in card and result.get_thumbnail_url() in card
    assert "Result: Lantern festival" in card


def test_a_retitled_template_and_a_renamed_partner_show_at_once(client):
    alice = user_create(username="alice")
    carol = user_create(username="carol", first_name="Carol")
    template = make_template(title="Lantern festival")
    consent = PartnerConsent.objects.create(
        user=alice, partner_user=carol, status="agreed", decided_at=timezone.now(), expires_at=timezone.now()
    )
    task = swap(alice, template, status="completed", progress=100, consent=consent)
    client.force_login(alice)
    card = card_of(client.get(reverse("swaps:list")).text, task)
    assert "Lantern festival" in card and "Shared with Carol" in card
    Template.objects.filter(pk=template.pk).update(title="Moon gate")
    carol.first_name = "Caroline"
    carol.save(update_fields=["first_name"])
    card = card_of(client.get(reverse("swaps:list")).text, task)
    assert "Moon gate" in card and "Lantern festival" not in card
    assert "Shared with Caroline" in card


@pytest.mark.parametrize("first", ["holder", "partner"])
def test_each_of_a_couple_sees_their_own_card_of_the_same_swap(client, first):
    alice = user_create(username="alice", first_name="Alice")
    carol = user_create(username="carol", first_name="Carol")
    consent = PartnerConsent.objects.create(
        user=alice, partner_user=carol, status="agreed", decided_at=timezone.now(), expires_at=timezone.now()
    )
    task = swap(alice, make_template(title="Beach"), status="completed", progress=100, consent=consent)
    delete = reverse("swaps:delete", args=[task.pk])
    order = [alice, carol] if first == "holder" else [carol, alice]
    cards = {}
    for person in order:
        client.force_login(person)
        cards[person.username] = card_of(client.get(reverse("swaps:list")).text, task)
    assert "Shared with Carol" in cards["alice"] and delete in cards["alice"]
    assert "Made by Alice with your face" in cards["carol"] and delete not in cards["carol"]
    assert "Shared with" not in cards["carol"] and "Made by" not in cards["alice"]


def test_the_cards_follow_the_language(client):
    alice = user_create(username="alice")
    task = swap(alice, make_template(title="Beach"), status="pending")
    client.force_login(alice)
    assert 'badge-pending">Waiting<' in card_of(client.get(reverse("swaps:list")).text, task)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    card = card_of(client.get(reverse("swaps:list")).text, task)
    assert 'badge-pending">等待中<' in card and "删除" in card
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'badge-pending">Waiting<' in card_of(client.get(reverse("swaps:list")).text, task)


def test_my_swaps_with_albums_the_trash_and_agreements_as_partner(client):
    """The counts read in one query: the grid's, the albums' and the trash's, with and without agreements."""
    alice = user_create(username="alice", first_name="Alice")
    carol = user_create(username="carol")
    template = make_template(title="Beach")
    client.force_login(carol)
    page = client.get(reverse("swaps:list")).text
    assert "You have not made a swap yet." in page and 'id="albums-title"' not in page and "Trash" not in page
    own = swap(carol, template, status="completed")
    trashed = swap(carol, template, status="completed", deleted_at=timezone.now())
    page = client.get(reverse("swaps:list")).text
    assert card_of(page, own) and f'href="{trashed.get_absolute_url()}"' not in page and ">Trash</a>" in page
    # Carol agreed to Alice's swaps with her face: Alice's swap is in Carol's grid, Alice's album swap too.
    consent = PartnerConsent.objects.create(
        user=alice, partner_user=carol, status="agreed", decided_at=timezone.now(), expires_at=timezone.now()
    )
    shared = swap(alice, template, status="completed", consent=consent, created_at=timezone.now() + timedelta(1))
    page = client.get(reverse("swaps:list")).text
    assert "Made by Alice with your face" in card_of(page, shared) and card_of(page, own)
    assert "You agreed that Alice may use your face." in page


def test_the_pickers_are_kept_and_show_a_new_or_deleted_photo_at_once(client):
    alice = user_create(username="alice")
    template = make_template(title="Beach")
    old = stored_image(owner=alice, name="old.jpg")
    client.force_login(alice)
    url = reverse("swaps:new", args=[template.pk])
    first = client.get(url)
    assert renders_of(first, PICKER) == 2 and first.text.count('title="old.jpg"') == 2
    again = client.get(url)
    assert renders_of(again, PICKER) == 0 and _tokens_out(again.text) == _tokens_out(first.text)
    new = stored_image(owner=alice, name="new.jpg")
    page = client.get(url).text
    assert page.count('title="new.jpg"') == 2
    assert page.count(f'name="husband_photo" value="{new.pk}"') == 1
    assert page.count(f'name="wife_photo" value="{new.pk}"') == 1
    client.post(reverse("gallery:image_delete", args=[old.pk]))
    page = client.get(url).text
    assert 'title="old.jpg"' not in page and page.count('title="new.jpg"') == 2


def _tokens_out(page: str) -> str:
    """The page without its CSRF tokens (masked anew for every form)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
