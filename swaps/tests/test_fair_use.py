"""Fair use: per-person caps on swaps and photos, and fair queueing between people."""

from __future__ import annotations

from datetime import timedelta

import django_rq
import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils import timezone

from swaps import services
from swaps.models import FaceSwapTask
from swaps.services import SWAP_JOBS, PersonPhoto, SwapSubmitError, album_submit, swap_create, swap_submit
from testing.cast import encode, picture, upload_photo_bytes

Status = FaceSwapTask.Status


def queued_job_ids() -> list[str]:
    return django_rq.get_queue("swaps").job_ids


def make_tasks(user, template, photos, count: int, **fields) -> list[FaceSwapTask]:
    husband, wife = photos
    return [
        FaceSwapTask.objects.create(user=user, template=template, husband_image=husband, wife_image=wife, **fields)
        for _ in range(count)
    ]


def submit(user, template, photos) -> FaceSwapTask:
    husband, wife = photos
    return swap_submit(user=user, template=template, husband=PersonPhoto(image=husband), wife=PersonPhoto(image=wife))


def test_the_sixth_waiting_swap_is_refused_saying_when_to_try_again(alice, alice_photos, couple_template):
    make_tasks(alice, couple_template, alice_photos, 3)
    make_tasks(alice, couple_template, alice_photos, 2, status=Status.PROCESSING)
    with pytest.raises(SwapSubmitError) as refused:
        submit(alice, couple_template, alice_photos)
    message = refused.value.message_dict[NON_FIELD_ERRORS][0]
    assert "5 swaps waiting or being made" in message and "try again in about" in message
    assert FaceSwapTask.objects.count() == 5
    # Finished swaps do not count: one done, and the next is accepted.
    FaceSwapTask.objects.filter(pk=FaceSwapTask.objects.first().pk).update(status=Status.COMPLETED)
    assert submit(alice, couple_template, alice_photos).status == Status.PENDING


def test_the_hourly_swap_rate_is_capped(alice, alice_photos, couple_template, settings):
    settings.SWAPS_MAX_PER_HOUR = 3
    old = make_tasks(alice, couple_template, alice_photos, 1, status=Status.COMPLETED)[0]
    FaceSwapTask.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    make_tasks(alice, couple_template, alice_photos, 3, status=Status.COMPLETED)
    with pytest.raises(SwapSubmitError) as refused:
        submit(alice, couple_template, alice_photos)
    assert "3 swaps in the last hour" in refused.value.message_dict[NON_FIELD_ERRORS][0]
    assert "try again after" in refused.value.message_dict[NON_FIELD_ERRORS][0]


def test_the_photo_quota_refuses_with_a_way_to_free_space(alice, client, settings):
    settings.PHOTO_QUOTA_COUNT = 2
    first = upload_photo_bytes(alice, encode(picture((64, 64), (10, 20, 30))), "a.jpg")
    upload_photo_bytes(alice, encode(picture((64, 64), (40, 50, 60))), "b.jpg")
    with pytest.raises(ValidationError, match=r"photo space is full.*Delete photos"):
        upload_photo_bytes(alice, encode(picture((64, 64), (70, 80, 90))), "c.jpg")
    client.force_login(alice)
    response = client.post(reverse("gallery:photo_list"), {"photos": [_file("d.jpg", (1, 2, 3))]}, follow=True)
    assert "photo space is full" in response.content.decode()
    # Re-uploading a photo already there is not a new photo; deleting one makes room.
    from gallery.services import image_delete

    image_delete(image=first)
    upload_photo_bytes(alice, encode(picture((64, 64), (70, 80, 90))), "c.jpg")


def test_the_photo_quota_counts_bytes_too(alice, settings):
    first = upload_photo_bytes(alice, encode(picture((400, 400), (10, 20, 30))), "a.jpg")
    settings.PHOTO_QUOTA_BYTES = first.file_size + 10
    with pytest.raises(ValidationError, match="photo space is full"):
        upload_photo_bytes(alice, encode(picture((400, 400), (90, 20, 30))), "b.jpg")


def _file(name, colour):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, encode(picture((64, 64), colour)), content_type="image/jpeg")


def test_one_persons_flood_waits_behind_anothers_swap(
    alice, bob, alice_photos, couple_template, django_capture_on_commit_callbacks, settings
):
    """Each person has one job in the queue: bob's swap is queued right behind alice's first, not her fifth."""
    settings.SWAPS_MAX_ACTIVE_PER_USER = 50
    bob_photos = [upload_photo_bytes(bob, encode(picture((64, 64), (5, 5, i))), f"{i}.jpg") for i in (1, 2)]
    with django_capture_on_commit_callbacks(execute=True):
        flood = [
            swap_create(user=alice, template=couple_template, husband_image=h, wife_image=w)
            for h, w in [alice_photos] * 5
        ]
    assert queued_job_ids() == [SWAP_JOBS.job_id(flood[0].pk)]
    with django_capture_on_commit_callbacks(execute=True):
        theirs = swap_create(user=bob, template=couple_template, husband_image=bob_photos[0], wife_image=bob_photos[1])
    assert queued_job_ids() == [SWAP_JOBS.job_id(flood[0].pk), SWAP_JOBS.job_id(theirs.pk)]
    # Alice's first job ends: her next one is queued behind bob's.
    queue = django_rq.get_queue("swaps")
    queue.remove(SWAP_JOBS.job_id(flood[0].pk))
    FaceSwapTask.objects.filter(pk=flood[0].pk).update(status=Status.COMPLETED)
    services.swap_job_finished(task_id=flood[0].pk, user_id=alice.pk)
    assert queued_job_ids() == [SWAP_JOBS.job_id(theirs.pk), SWAP_JOBS.job_id(flood[1].pk)]


def test_the_periodic_pass_queues_swaps_whose_job_was_lost_and_is_idempotent(
    alice, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task = swap_create(
            user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1]
        )
    django_rq.get_queue("swaps").fetch_job(SWAP_JOBS.job_id(task.pk)).delete()  # Redis lost the job (restarted)
    assert services.swaps_dispatch_pending() == 1
    assert queued_job_ids() == [SWAP_JOBS.job_id(task.pk)]
    assert services.swaps_dispatch_pending() == 0
    assert queued_job_ids() == [SWAP_JOBS.job_id(task.pk)]


def test_deleting_the_account_while_its_swap_runs_ends_the_job_quietly(
    transactional_db, alice, alice_photos, couple_template, monkeypatch, caplog, settings
):
    """The real swap runs; the account is deleted just before the result is stored (the worst moment)."""
    from pathlib import Path

    from accounts.services import user_delete
    from gallery.models import Image

    task = swap_create(user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1])
    alice_id = alice.pk
    from swaps.services import run

    real_progress = run._set_progress

    def delete_the_account_when_saving(task_id: int, step: str, album_id: int | None = None) -> None:
        real_progress(task_id, step, album_id)
        if step == "saving":
            user_delete(user=alice)

    monkeypatch.setattr(run, "_set_progress", delete_the_account_when_saving)
    files_before = {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}
    with caplog.at_level("INFO"):
        assert services.swap_run(task_id=task.pk) is None
    assert not [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
    assert "was deleted while it ran" in caplog.text
    assert not Image.objects.filter(owner_id=alice_id).exists()
    assert not FaceSwapTask.objects.filter(pk=task.pk).exists()
    # No result file is left behind.
    new_files = {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()} - files_before
    assert not new_files, new_files


def test_an_album_may_ask_for_twelve_at_once_but_not_past_that(alice, alice_photos, couple_template):
    husband, wife = alice_photos
    people = {"husband": PersonPhoto(image=husband), "wife": PersonPhoto(image=wife)}
    album = album_submit(user=alice, templates=[couple_template] * 12, **people)
    assert FaceSwapTask.objects.filter(album=album, status=Status.PENDING).count() == 12
    with pytest.raises(SwapSubmitError) as refused:
        album_submit(user=alice, templates=[couple_template], **people)
    assert refused.value.message_dict[NON_FIELD_ERRORS][0].startswith(
        "You already have 12 swaps waiting or being made (the limit is 12 at a time)."
    )
    # The single-swap limit still holds on its own.
    with pytest.raises(SwapSubmitError):
        submit(alice, couple_template, alice_photos)
