"""End to end with a real RQ worker process over real Redis and PostgreSQL."""

import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image as PILImage

from swaps import services
from swaps.models import FaceSwapTask
from testing.fixtures_services import wait_for_task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def submit(client, template, faces_dir, husband="man_single_obama.jpg", wife="woman_single_astronaut.png") -> int:
    response = client.post(
        reverse("swaps:new", args=[template.pk]),
        {
            "husband_upload": SimpleUploadedFile(husband, (faces_dir / husband).read_bytes()),
            "wife_upload": SimpleUploadedFile(wife, (faces_dir / wife).read_bytes()),
        },
    )
    assert response.status_code == 302, response.text[:2000]
    return FaceSwapTask.objects.latest("id").pk


def test_submitted_swap_is_made_by_the_worker_and_private(rq_worker, client, alice, bob, couple_template, faces_dir):
    client.force_login(alice)
    task_id = submit(client, couple_template, faces_dir)
    task = wait_for_task(task_id, until=lambda t: t.status in ("completed", "failed"))
    assert task.status == "completed", (task.error_message, rq_worker.log())
    assert task.progress == 100

    result = client.get(task.result_image.get_file_url())
    assert result.status_code == 200
    picture = PILImage.open(io.BytesIO(b"".join(result.streaming_content)))
    picture.load()
    assert picture.size == (couple_template.image.width, couple_template.image.height)

    status = client.get(reverse("swaps:status", args=[task_id])).json()
    assert (status["status"], status["progress"], status["finished"]) == ("completed", 100, True)

    client.force_login(bob)
    assert client.get(task.result_image.get_file_url()).status_code == 404
    assert client.get(reverse("swaps:status", args=[task_id])).status_code == 404


def test_models_are_loaded_once_per_worker_not_per_job(rq_worker, client, alice, couple_template, faces_dir):
    client.force_login(alice)
    first = submit(client, couple_template, faces_dir)
    second = submit(
        client, couple_template, faces_dir, husband="woman_single_astronaut.png", wife="man_single_obama.jpg"
    )
    for task_id in (first, second):
        task = wait_for_task(task_id, until=lambda t: t.status in ("completed", "failed"))
        assert task.status == "completed", (task.error_message, rq_worker.log())
    loads = [line for line in rq_worker.log().splitlines() if "models loaded" in line]
    # Loaded once, by the worker itself before it forked the two jobs' work horses.
    assert len(loads) == 1, rq_worker.log()
    assert loads[0].endswith(f"(pid {rq_worker.pid})")


def test_a_worker_killed_mid_job_leaves_no_task_processing(rq_worker, client, alice, couple_template, faces_dir):
    # The template's stored file becomes a named pipe nobody writes to: the job claims the task, then
    # blocks reading the template, so the kill below certainly lands in the middle of the job.
    path = Path(couple_template.image.file.path)
    path.unlink()
    os.mkfifo(path)
    client.force_login(alice)
    task_id = submit(client, couple_template, faces_dir)
    task = wait_for_task(task_id, until=lambda t: t.status == "processing")
    assert rq_worker.children(), rq_worker.log()  # the job's work horse
    rq_worker.kill()  # the worker and its work horse outright, as a crash or the OOM killer would
    task.refresh_from_db()
    assert task.status == "processing"  # nobody is left to finish or fail it

    call_command("requeue_stuck_tasks", "--older-than", "10m")
    task.refresh_from_db()
    assert task.status == "failed"
    assert task.error_message == services.SWAP_JOBS.abandoned_error
    assert "Try again" in client.get(task.get_absolute_url()).text
