"""My photos shows a page at a time, in a few queries whatever a person has."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gallery.models import PHOTO_TRIED_KEY, Image
from testing.cast import stored_image, user_create

pytestmark = pytest.mark.django_db


def queries_of(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.text


def test_my_photos_shows_a_page_at_a_time_with_the_tried_ones_apart(client):
    alice = user_create(username="alice")
    for i in range(33):
        stored_image(owner=alice, name=f"kept-{i:02d}.jpg", size=(40, 30))
    tried = stored_image(owner=alice, name="tried.jpg", size=(40, 30))
    Image.objects.filter(pk=tried.pk).update(metadata={**tried.metadata, PHOTO_TRIED_KEY: True})
    client.force_login(alice)
    client.get(reverse("gallery:photo_list"))
    count, page = queries_of(client, reverse("gallery:photo_list"))
    # The count, the page, the tried photos: however many photos there are.
    assert count <= 3
    names = re.findall(r'class="photo-name" title="([^"]+)"', page)
    assert len(names) == 30 + 1 and names[0] == "kept-32.jpg" and names[-1] == "tried.jpg"
    assert "33 photos" in page and "Page 1 of 2" in page and "1 photo tried on the swap form" in page
    second = client.get(reverse("gallery:photo_list") + "?page=2").text
    # The last three kept photos, and the tried one again (tried photos are all shown, folded, on each page).
    kept = ["kept-02.jpg", "kept-01.jpg", "kept-00.jpg"]
    assert re.findall(r'class="photo-name" title="([^"]+)"', second) == [*kept, "tried.jpg"]
    # Each card says what it is: a kept photo its size, a tried one its badge.
    infos = re.findall(r'<span class="muted photo-info">(.*?)</span>\s*$', second, flags=re.M)
    size = "40 \N{MULTIPLICATION SIGN} 30"
    assert [(size in info, ">Tried<" in info) for info in infos] == [(True, False)] * 3 + [(False, True)]
