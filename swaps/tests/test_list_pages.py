"""My swaps costs a few queries whatever a person has, and shows a page at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from swaps.models import FaceSwapTask, PartnerConsent
from testing.cast import make_template, stored_image, user_create

pytestmark = pytest.mark.django_db


def add_swaps(user, count: int, *, template, photo, result) -> None:
    for i in range(count):
        FaceSwapTask.objects.create(
            user=user,
            template=template,
            husband_image=photo,
            wife_image=photo,
            source_faces={},
            status="completed" if i % 2 else "failed",
            progress=100,
            result_image=result if i % 2 else None,
        )


def queries_of(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.text


def test_my_swaps_costs_the_same_few_queries_with_3_swaps_or_30(client):
    alice = user_create(username="alice")
    template = make_template(title="Lantern festival")
    photo = stored_image(owner=alice)
    result = stored_image(owner=alice, image_type="result", name="result.jpg")
    # One waiting for the partner's agreement: its card says so (the agreement read with the swap).
    consent = PartnerConsent.objects.create(user=alice, photo=photo, expires_at=timezone.now() + timedelta(days=7))
    FaceSwapTask.objects.create(
        user=alice, template=template, husband_image=photo, wife_image=photo, source_faces={}, consent=consent
    )
    add_swaps(alice, 2, template=template, photo=photo, result=result)
    client.force_login(alice)
    client.get(reverse("swaps:list"))
    few, page = queries_of(client, reverse("swaps:list"))
    assert "Waiting for your partner to agree" in page and page.count('class="swap-card card"') == 3
    add_swaps(alice, 27, template=template, photo=photo, result=result)
    many, page = queries_of(client, reverse("swaps:list"))
    # The count and the page of cards, the trash, the albums, the agreements (removed, given, received): no
    # query per card (the person's row and session come from the cache).
    assert few == many <= 7
    assert page.count('class="swap-card card"') == 12 and "Page 1 of 3" in page
    assert page.count(result.get_thumbnail_url()) >= 6 and "Lantern festival" in page
    last, page = queries_of(client, reverse("swaps:list") + "?page=3")
    assert last <= many and page.count('class="swap-card card"') == 6
    assert "Waiting for your partner to agree" in page  # the oldest, on the last page
