import threading
from datetime import timedelta

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image as PILImage

from faceengine import load_image
from gallery.models import Image
from swaps import services
from swaps.models import FaceSwapTask
from swaps.services import SWAP_JOBS, PersonPhoto, SwapError, SwapSubmitError, swap_create, swap_run, swap_submit
from templates.models import Template
from testing import require_postgres
from testing.cast import template_from_photo, two_people_picture, upload_photo, upload_photo_bytes

pytestmark = pytest.mark.django_db


def queued_job_ids() -> list[str]:
    return django_rq.get_queue("swaps").job_ids


def test_create_saves_a_pending_task_and_queues_its_id_on_commit(
    alice, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task = swap_create(user=alice, template=couple_template, husband_image=husband, wife_image=wife)
        assert SWAP_JOBS.job_id(task.pk) not in queued_job_ids()  # nothing is queued before the commit
    assert task.status == "pending" and task.progress == 0
    for callback in callbacks:
        callback()
    job = django_rq.get_queue("swaps").fetch_job(SWAP_JOBS.job_id(task.pk))
    assert job.func_name == "swaps.tasks.swap_run_task"
    assert job.args == (task.pk,)  # the id, never a model instance


def test_create_refuses_someone_elses_photo(alice, bob, alice_photos, couple_template, faces_dir):
    husband, _ = alice_photos
    bobs_photo = upload_photo(bob, faces_dir / "woman_single_astronaut.png")
    with pytest.raises(SwapError, match="Please choose your partner's photo"):
        swap_create(user=alice, template=couple_template, husband_image=husband, wife_image=bobs_photo)
    assert not FaceSwapTask.objects.exists()


def test_create_refuses_a_template_without_both_roles(alice, alice_photos, couple_template):
    couple_template.face_positions = [{**couple_template.face_positions[0], "role": None}]
    couple_template.save()
    with pytest.raises(SwapError, match="needs a husband face and a wife face"):
        create_task(alice, alice_photos, couple_template)


def test_create_refuses_an_archived_template(alice, alice_photos, couple_template):
    couple_template.is_active = False
    couple_template.save()
    with pytest.raises(SwapError, match="no longer available"):
        create_task(alice, alice_photos, couple_template)


def test_queue_down_at_submit_leaves_the_task_pending(
    alice, alice_photos, couple_template, monkeypatch, django_capture_on_commit_callbacks
):
    import django_rq.queues
    import redis

    # A real client to a port where nothing listens: the queue is down.
    monkeypatch.setattr(
        django_rq.queues, "get_connection", lambda *a, **kw: redis.Redis.from_url("redis://127.0.0.1:9/0")
    )
    with django_capture_on_commit_callbacks(execute=True):
        task = create_task(alice, alice_photos, couple_template)
    task.refresh_from_db()
    assert task.status == "pending"  # kept, for requeue_stuck_tasks to queue later


def create_task(alice, alice_photos, template) -> FaceSwapTask:
    return swap_create(user=alice, template=template, husband_image=alice_photos[0], wife_image=alice_photos[1])


def run_task(alice, alice_photos, template) -> FaceSwapTask:
    return swap_run(task_id=create_task(alice, alice_photos, template).pk)


def test_a_run_writes_its_task_row_five_times_at_most(alice, alice_photos, couple_template):
    """One pass per swap: the claim, three progress steps (the phases the page lists) and the result; the
    other steps only go to the open pages (push)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = create_task(alice, alice_photos, couple_template)
    with CaptureQueriesContext(connection) as queries:
        done = swap_run(task_id=task.pk)
    assert done.status == "completed"
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "faceswap_tasks"')]
    assert len(writes) <= 5, writes
    progress = [q for q in writes if q.startswith('UPDATE "faceswap_tasks" SET "progress" =')]
    assert len(progress) == 3, progress


def test_run_completes_with_a_private_result_and_counts_popularity(alice, alice_photos, couple_template):
    task = run_task(alice, alice_photos, couple_template)
    assert task.status == "completed"
    assert task.progress == 100
    assert task.started_at <= task.completed_at
    assert task.processing_time > 0
    result = task.result_image
    assert result.image_type == "result" and result.owner == alice
    # "Made in ... s" is what the couple waited for: from the claim until the result was stored (the swap,
    # then the mark, then the store), not only until the engine was done.
    job = result.metadata["swap"]["job_seconds"]
    assert job["swapped"] >= result.metadata["swap"]["seconds"] > 0
    assert task.processing_time > job["swapped"] + job["mark"]
    with result.file.open("rb") as fp, PILImage.open(fp) as picture:
        picture.load()
        assert picture.size == (couple_template.image.width, couple_template.image.height)
    assert [face["role"] for face in result.metadata["swap"]["faces"]] == ["husband", "wife"]
    couple_template.refresh_from_db()
    assert couple_template.popularity_score == 1


def test_run_twice_does_the_work_once(alice, alice_photos, couple_template):
    task = run_task(alice, alice_photos, couple_template)
    assert swap_run(task_id=task.pk) is None
    assert Image.objects.filter(image_type="result").count() == 1


def test_run_of_a_deleted_task_does_nothing(alice, alice_photos, couple_template):
    task = create_task(alice, alice_photos, couple_template)
    task.delete()
    assert swap_run(task_id=task.pk) is None


def test_a_photo_without_a_face_fails_with_the_engines_message(alice, alice_photos, couple_template, faces_dir):
    coffee = upload_photo(alice, faces_dir / "noface_coffee.png")
    task = swap_create(user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=coffee)
    task = swap_run(task_id=task.pk)
    assert task.status == "failed"
    assert task.error_message.startswith("The wife photo")
    assert task.result_image is None
    assert not Image.objects.filter(image_type="result").exists()


def test_a_photo_deleted_before_the_run_fails_plainly(alice, alice_photos, couple_template):
    task = create_task(alice, alice_photos, couple_template)
    FaceSwapTask.objects.filter(pk=task.pk).update(husband_image=None)
    task = swap_run(task_id=task.pk)
    assert task.status == "failed"
    assert task.error_message == "The photo of you was deleted. Please choose it again and try once more."


def test_an_unexpected_error_fails_the_task_generically_and_is_raised(alice, alice_photos, couple_template, caplog):
    task = create_task(alice, alice_photos, couple_template)
    couple_template.image.file.storage.delete(couple_template.image.file.name)  # the template file is gone
    with pytest.raises(FileNotFoundError):
        swap_run(task_id=task.pk)
    task.refresh_from_db()
    assert task.status == "failed"
    assert task.error_message == services.SWAP_JOBS.generic_error
    assert "failed unexpectedly" in caplog.text


def test_retry_sends_a_failed_task_back_to_the_queue(
    alice, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    task = create_task(alice, alice_photos, couple_template)
    services.swap_fail(task_id=task.pk, message="The worker stopped.")
    task.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.swap_retry(task=task)
    task.refresh_from_db()
    assert (task.status, task.progress, task.error_message) == ("pending", 0, None)
    assert SWAP_JOBS.job_id(task.pk) in queued_job_ids()
    assert swap_run(task_id=task.pk).status == "completed"


def test_delete_removes_the_result_file(alice, alice_photos, couple_template, django_capture_on_commit_callbacks):
    task = run_task(alice, alice_photos, couple_template)
    result = task.result_image
    storage, name = result.file.storage, result.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.swap_delete(task=task)
    assert not FaceSwapTask.objects.filter(pk=task.pk).exists()
    assert not Image.objects.filter(pk=result.pk).exists()
    assert not storage.exists(name)
    assert Image.objects.filter(pk=alice_photos[0].pk).exists()  # the photos stay in My photos


def test_requeue_queues_pending_tasks_that_never_reached_the_queue(alice, alice_photos, couple_template):
    task = FaceSwapTask.objects.create(
        user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1]
    )
    FaceSwapTask.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    counts = services.swaps_requeue_stuck(older_than=timedelta(minutes=10))
    assert counts["requeued"] == 1
    assert SWAP_JOBS.job_id(task.pk) in queued_job_ids()
    # Run again: the job is waiting in the queue now, so nothing changes.
    assert services.swaps_requeue_stuck(older_than=timedelta(minutes=10))["requeued"] == 0


def test_requeue_fails_processing_tasks_whose_job_is_gone(alice, alice_photos, couple_template):
    task = FaceSwapTask.objects.create(
        user=alice,
        template=couple_template,
        husband_image=alice_photos[0],
        wife_image=alice_photos[1],
        status="processing",
        started_at=timezone.now(),
        progress=45,
    )
    counts = services.swaps_requeue_stuck(older_than=timedelta(minutes=10))
    task.refresh_from_db()
    assert counts["failed"] == 1
    assert task.status == "failed" and task.error_message == services.SWAP_JOBS.abandoned_error


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_two_runners_on_one_task_exactly_one_processes_it(alice, alice_photos, couple_template):
    require_postgres()
    task = create_task(alice, alice_photos, couple_template)
    results = []
    barrier = threading.Barrier(2)

    def runner():
        try:
            barrier.wait()
            results.append(swap_run(task_id=task.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result is None for result in results) == [False, True]
    assert Image.objects.filter(image_type="result").count() == 1
    assert Template.objects.get(pk=couple_template.pk).popularity_score == 1


def test_a_large_template_is_swapped_at_full_size(alice, alice_photos, faces_dir, tmp_path):
    # 25 megapixels: the result is larger than the upload byte limit would allow, and must still be stored.
    big = tmp_path / "big-couple.jpg"
    PILImage.open(faces_dir / "couple_man_woman_closeup.jpg").resize((6000, 4178)).save(big, "JPEG", quality=95)
    template = template_from_photo(big)
    task = swap_run(task_id=create_task(alice, alice_photos, template).pk)
    assert task.status == "completed", task.error_message
    assert (task.result_image.width, task.result_image.height) == (6000, 4178)


# Early (loading the photos, finding faces) and late (swapping, saving); the claim itself takes ~5 ms.
# Without a surrounding transaction, as in a worker: the timeout may land inside a query, which would
# doom a test transaction (not the worker's autocommit connection).
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("after", [0.02, 0.06, 0.15])
def test_a_job_past_its_timeout_fails_plainly_and_leaves_no_result(alice, alice_photos, couple_template, after):
    import signal

    from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

    task = create_task(alice, alice_photos, couple_template)
    # RQ's own death penalty (SIGALRM -> JobTimeoutException inside the job), fired early with a timer.
    with pytest.raises(JobTimeoutException), UnixSignalDeathPenalty(1, JobTimeoutException):
        signal.setitimer(signal.ITIMER_REAL, after)
        swap_run(task_id=task.pk)
        signal.setitimer(signal.ITIMER_REAL, 5)  # not reached when the job is interrupted as intended
    task.refresh_from_db()
    assert (task.status, task.error_message) == ("failed", services.SWAP_JOBS.timeout_error)
    assert task.result_image is None
    assert not Image.objects.filter(image_type="result").exists()


def photo_upload(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def test_submit_stores_both_uploads_with_their_faces_and_queues_one_task(
    alice, couple_template, faces_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task = swap_submit(
            user=alice,
            template=couple_template,
            husband=PersonPhoto(upload=photo_upload(faces_dir / "man_single_obama.jpg")),
            wife=PersonPhoto(upload=photo_upload(faces_dir / "woman_single_astronaut.png")),
        )
    assert task.status == "pending"
    assert SWAP_JOBS.job_id(task.pk) in queued_job_ids()
    for image in (task.husband_image, task.wife_image):
        assert image.owner == alice
        assert image.metadata["face_check"]["ok"] is True
        assert len(image.metadata["faces"][0]["landmarks"]) == 68  # kept for the worker
    assert task.source_faces["husband"]["face"] == task.husband_image.metadata["faces"][0]


def test_submit_reports_each_field_and_stores_nothing_refused(alice, couple_template, faces_dir):
    couple_template.is_active = False
    couple_template.save()
    with pytest.raises(SwapSubmitError) as caught:
        swap_submit(
            user=alice,
            template=couple_template,
            husband=PersonPhoto(upload=photo_upload(faces_dir / "man_single_obama.jpg")),
            wife=PersonPhoto(upload=photo_upload(faces_dir / "noface_coffee.png")),
        )
    errors = caught.value.message_dict
    assert errors["__all__"] == ["This template is no longer available. Please pick another."]
    assert errors["wife"] == ["This photo shows no face we can find; please upload a clear photo of the face."]
    assert "husband" not in errors
    # The good photo is stored (and offered back), the refused one never was.
    assert list(alice.images.values_list("filename", flat=True)) == ["man_single_obama.jpg"]
    assert caught.value.photos["husband"].filename == "man_single_obama.jpg"
    assert not FaceSwapTask.objects.exists()


def test_submit_without_photos_says_what_to_choose(alice, couple_template):
    with pytest.raises(SwapSubmitError) as caught:
        swap_submit(user=alice, template=couple_template, husband=PersonPhoto(), wife=PersonPhoto())
    assert caught.value.message_dict == {
        "husband": ["Choose your photo from your photos, or upload one."],
        "wife": ["Choose your partner's photo from your photos, or upload one."],
    }


def test_the_same_file_uploaded_again_reuses_the_photo_and_its_face_check(alice, couple_template, faces_dir):
    tasks = [
        swap_submit(
            user=alice,
            template=couple_template,
            husband=PersonPhoto(upload=photo_upload(faces_dir / "man_single_obama.jpg")),
            wife=PersonPhoto(upload=photo_upload(faces_dir / "woman_single_astronaut.png")),
        )
        for _ in range(2)
    ]
    assert tasks[0].husband_image == tasks[1].husband_image
    assert tasks[0].wife_image == tasks[1].wife_image
    assert alice.images.filter(image_type="source").count() == 2


def box_overlap(a, b) -> float:
    """Intersection over union of two [left, top, right, bottom] boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(width, 0) * max(height, 0)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


def test_the_worker_swaps_the_face_kept_with_the_task(alice, alice_photos, couple_template, faces_dir, engine):
    """The face picked when the swap was asked for is the one swapped, even if the photo's faces were
    looked for again since: here the smaller second person of a two-person photo."""
    picture = two_people_picture(faces_dir)
    photo = upload_photo_bytes(alice, picture, "two-people.jpg")
    check = services.swap_photo_check(image=photo, face=1)
    with photo.file.open("rb") as fp:
        faces = engine.detect(load_image(fp.read()))
    assert len(faces) == 2 and len(check.boxes) == 2 and check.chosen == 1
    # The photo check refines each face's box with its person pass: the same face as the engine's second.
    second = photo.metadata["faces"][1]
    assert box_overlap(second["box"], faces[1].to_json()["box"]) > 0.8
    task = swap_create(
        user=alice, template=couple_template, husband_image=photo, wife_image=alice_photos[1], faces={"husband": 1}
    )
    photo.metadata["faces"] = photo.metadata["faces"][::-1]  # the photo's list changes; the task's face does not
    photo.save(update_fields=["metadata"])
    task = swap_run(task_id=task.pk)
    assert task.status == "completed", task.error_message
    used = {face["role"]: face["source_box"] for face in task.result_image.metadata["swap"]["faces"]}
    assert used["husband"] == second["box"]


def test_one_photo_of_the_couple_serves_both_partners_with_different_faces(alice, couple_template, faces_dir):
    couple = faces_dir / "couple_man_woman_closeup.jpg"
    # The same file given twice: stored once, each partner with their own face of it.
    task = swap_submit(
        user=alice,
        template=couple_template,
        husband=PersonPhoto(upload=photo_upload(couple), face=1),
        wife=PersonPhoto(upload=photo_upload(couple), face=0),
    )
    photo = task.husband_image
    assert task.wife_image == photo and len(photo.metadata["faces"]) == 2
    assert task.source_faces["husband"] == {"image": photo.pk, "index": 1, "face": photo.metadata["faces"][1]}
    assert task.source_faces["wife"]["face"] == photo.metadata["faces"][0]
    task = swap_run(task_id=task.pk)
    assert task.status == "completed", task.error_message
    used = {face["role"]: face["source_box"] for face in task.result_image.metadata["swap"]["faces"]}
    assert used == {"husband": photo.metadata["faces"][1]["box"], "wife": photo.metadata["faces"][0]["box"]}


def test_the_same_face_for_both_partners_is_refused(alice, couple_template, faces_dir):
    couple = upload_photo(alice, faces_dir / "couple_man_woman_closeup.jpg")
    # Without a face tapped, the partner is given the face the first one has not taken...
    task = swap_submit(
        user=alice, template=couple_template, husband=PersonPhoto(image=couple), wife=PersonPhoto(image=couple)
    )
    assert task.source_faces["husband"]["index"] != task.source_faces["wife"]["index"]
    # ...but the same face tapped for both is refused, with what to do.
    with pytest.raises(SwapSubmitError) as caught:
        swap_submit(
            user=alice,
            template=couple_template,
            husband=PersonPhoto(image=couple, face=1),
            wife=PersonPhoto(image=couple, face=1),
        )
    assert caught.value.message_dict == {
        "wife": ["You both chose the same face of this photo: tap your partner's face in it."]
    }
    with pytest.raises(SwapSubmitError) as caught:
        swap_submit(
            user=alice,
            template=couple_template,
            husband=PersonPhoto(image=couple, face=5),
            wife=PersonPhoto(image=couple),
        )
    assert caught.value.message_dict == {"husband": ["Please tap the face to use in this photo."]}


def test_photos_without_a_usable_face_are_left_out_of_the_picker(alice, alice_photos, faces_dir):
    from swaps.selectors import photos_for_picker

    coffee = upload_photo(alice, faces_dir / "noface_coffee.png")
    check = services.swap_photo_check(image=coffee)
    assert not check.ok and coffee.metadata["face_check"]["ok"] is False
    unchecked = upload_photo(alice, faces_dir / "man_single_obama.jpg")  # not looked at yet: still offered
    assert set(photos_for_picker(user=alice)) == {*alice_photos, unchecked}


def test_an_album_is_one_ordinary_swap_per_template_with_the_photos_given_once(
    alice, alice_photos, couple_template, faces_dir, django_capture_on_commit_callbacks
):
    from swaps.models import Album

    second = template_from_photo(faces_dir / "couple_man_woman_casual.jpg", title="Picnic", husband_right=False)
    with django_capture_on_commit_callbacks(execute=True):
        album = services.album_submit(
            user=alice,
            templates=[couple_template, second],
            husband=PersonPhoto(image=alice_photos[0]),
            wife=PersonPhoto(upload=photo_upload(faces_dir / "woman_single_astronaut.png")),  # same bytes again
        )
    tasks = list(album.tasks.order_by("id"))
    assert [task.template for task in tasks] == [couple_template, second]
    assert {task.wife_image for task in tasks} == {alice_photos[1]}  # the upload reused the earlier photo
    assert all(task.status == "pending" for task in tasks)
    # Fair queueing: one job of a person's in the queue at a time; the next goes in when it ends.
    assert [SWAP_JOBS.job_id(task.pk) in queued_job_ids() for task in tasks] == [True, False]
    assert all(task.source_faces["husband"]["face"] == alice_photos[0].metadata["faces"][0] for task in tasks)
    with pytest.raises(SwapSubmitError, match="between 1 and 12"):
        services.album_submit(
            user=alice,
            templates=[couple_template] * 13,
            husband=PersonPhoto(image=alice_photos[0]),
            wife=PersonPhoto(image=alice_photos[1]),
        )
    second.is_active = False
    second.save()
    with pytest.raises(SwapSubmitError) as caught:
        services.album_submit(
            user=alice,
            templates=[couple_template, second],
            husband=PersonPhoto(image=alice_photos[0]),
            wife=PersonPhoto(image=alice_photos[1]),
        )
    assert caught.value.message_dict["__all__"] == [
        "“Picnic”: This template is no longer available. Please pick another."
    ]
    assert Album.objects.count() == 1 and FaceSwapTask.objects.count() == 2  # all or nothing
