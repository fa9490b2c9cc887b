"""The face search of an own template runs on the swaps queue's real worker, with progress, and a work
horse that dies mid-search fails it at once (the person then marks the faces by hand)."""

import os
import signal
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from templates import own_services
from templates.models import OwnFaces, Template
from testing.cast import stored_image

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for(template_id: int, until, timeout: float = 90.0) -> Template:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        template = Template.objects.get(pk=template_id)
        if until(template):
            return template
        time.sleep(0.05)
    raise AssertionError(f"template {template_id} stayed {template.faces_status} ({template.faces_progress} %)")


def test_the_worker_finds_the_faces_of_an_own_scene(rq_worker, alice, faces_dir):
    path = faces_dir / "couple_man_woman_casual.jpg"
    own = own_services.own_template_create(owner=alice, file=SimpleUploadedFile(path.name, path.read_bytes()))
    assert own.faces_status == OwnFaces.PENDING
    done = wait_for(own.pk, lambda t: t.faces_status == OwnFaces.DONE)
    assert done.faces_progress == 100 and done.face_count == 2 and done.roles_complete


def test_a_search_whose_work_horse_dies_is_failed_at_once(rq_worker, alice):
    image = stored_image(owner=alice, image_type="template", size=(320, 240))
    own = Template.objects.create(
        owner=alice, image=image, title="Mine", category="custom", is_active=False, faces_status=OwnFaces.PENDING
    )
    # The picture becomes a named pipe nobody writes to: the search claims the template, then blocks
    # reading it, so the kill lands in the middle of the search.
    picture = Path(image.file.path)
    picture.unlink()
    os.mkfifo(picture)
    own_services.OWN_FACES_JOBS.enqueue(own.pk)
    wait_for(own.pk, lambda t: t.faces_status == OwnFaces.PROCESSING)
    horses = rq_worker.children()
    assert horses, rq_worker.log()
    for pid in horses:
        os.kill(pid, signal.SIGKILL)  # the work horse only, as the OOM killer would
    failed = wait_for(own.pk, lambda t: t.faces_status == OwnFaces.FAILED, timeout=30)
    assert failed.faces_error == own_services.OWN_FACES_JOBS.abandoned_error
    assert "three clicks" in own_services.own_faces_state(template=failed)["message"]
