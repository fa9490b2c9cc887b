"""Caps under real concurrency: many threads of this process, each with its own PostgreSQL connection,
released at once by a barrier, submit for one person. The caps hold exactly (a row lock per person, and
per swap for share links)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from swaps.models import FaceSwapTask, ShareLink
from swaps.services import PersonPhoto, SwapError, SwapSubmitError, album_submit, share_create, swap_submit
from swaps.services.trash import swap_restore, swap_trash
from testing import require_postgres
from testing.cast import make_template

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _heavy_work_unbounded(settings):
    """The caps are what is tested here, not the per-person bound on heavy work: with it, threads beyond two
    wait for a slot and, on a loaded machine, are refused "busy" before they reach the cap."""
    settings.HEAVY_WORK_PER_USER = 64
    settings.HEAVY_WORK_WAIT_SECONDS = 120


def all_at_once(count: int, work) -> list:
    """Run work(i) in `count` threads released together; each result, or the exception it raised."""
    require_postgres()
    barrier = threading.Barrier(count)

    def one(i: int):
        try:
            barrier.wait()
            return work(i)
        except Exception as exc:
            return exc
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def people(photos) -> dict[str, PersonPhoto]:
    """Both partners, as rows of this thread's own (a row's open file cannot be shared between threads)."""
    from gallery.models import Image

    husband, wife = (Image.objects.get(pk=photo.pk) for photo in photos)
    return {"husband": PersonPhoto(image=husband), "wife": PersonPhoto(image=wife)}


def refusals(results) -> list[str]:
    return [" ".join(r.messages) for r in results if isinstance(r, SwapSubmitError)]


def test_twenty_concurrent_submits_leave_exactly_the_active_cap(alice, alice_photos, couple_template, settings):
    settings.SWAPS_MAX_ACTIVE_PER_USER = 5
    results = all_at_once(20, lambda i: swap_submit(user=alice, template=couple_template, **people(alice_photos)))
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, SwapSubmitError)]
    assert not unexpected, unexpected
    assert FaceSwapTask.objects.filter(user=alice).count() == 5
    assert len(refusals(results)) == 15
    # Every refusal counts what really was there: never more than the cap.
    assert all("You already have 5 swaps waiting" in message for message in refusals(results)), refusals(results)


def test_ten_concurrent_submits_leave_exactly_the_hourly_cap(alice, alice_photos, couple_template, settings):
    settings.SWAPS_MAX_ACTIVE_PER_USER = 100
    settings.SWAPS_MAX_PER_HOUR = 3
    results = all_at_once(10, lambda i: swap_submit(user=alice, template=couple_template, **people(alice_photos)))
    assert FaceSwapTask.objects.filter(user=alice).count() == 3
    assert len(refusals(results)) == 7 and all("3 swaps in the last hour" in m for m in refusals(results))


def test_six_concurrent_albums_leave_exactly_the_cap(alice, alice_photos, couple_template, settings):
    settings.SWAPS_MAX_ACTIVE_PER_USER = 5  # an album may take up to its 12 templates at once
    others = [make_template(title=f"Other {n}") for n in range(2)]
    templates = [couple_template, *others]
    for template in others:  # the same faces as the couple picture, so the swaps are accepted
        template.face_positions = couple_template.face_positions
        template.save(update_fields=["face_positions"])
    results = all_at_once(6, lambda i: album_submit(user=alice, templates=templates, **people(alice_photos)))
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, SwapSubmitError)]
    assert not unexpected, unexpected
    assert FaceSwapTask.objects.filter(user=alice).count() == 12  # 4 albums of 3, against a cap of 12
    assert len(refusals(results)) == 2


def test_ten_concurrent_share_links_leave_at_most_the_cap_and_a_restore_revives_none(alice, settings):
    from testing.cast import stored_image

    settings.SHARE_LINKS_MAX_PER_SWAP = 5
    template = make_template()
    result = stored_image(owner=alice, image_type="result")
    task = FaceSwapTask.objects.create(
        user=alice,
        template=template,
        husband_image=stored_image(owner=alice),
        wife_image=stored_image(owner=alice),
        result_image=result,
        status=FaceSwapTask.Status.COMPLETED,
    )
    results = all_at_once(10, lambda i: share_create(user=alice, task=task, days=7))
    assert ShareLink.objects.filter(task=task).count() == 5
    refused = [r for r in results if isinstance(r, SwapError)]
    assert len(refused) == 5 and "the most is 5" in refused[0].message

    swap_restore(task=swap_trash(task=task))
    assert not ShareLink.objects.filter(task=task, revoked_at__isnull=True).exists()
    assert share_create(user=alice, task=task, days=1).revoked_at is None  # the owner makes a new one
