"""Scale-out: two swap workers on "two machines" (different, empty media folders: no shared disk) make a
batch of swaps using only PostgreSQL, Redis (RQ) and S3, and every result is the right one."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from PIL import Image as PILImage
from rq.job import Job

from swaps import services
from swaps.models import FaceSwapTask
from testing import require_postgres, require_redis_url
from testing.cast import template_from_photo, upload_photo, user_create
from testing.fixtures_services import service_env
from testing.servers import RQWorker, stopping, wait_for

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]

MAN, WOMAN = "man_single_obama.jpg", "woman_single_astronaut.png"
COUPLES = [(MAN, WOMAN), (WOMAN, MAN)]
BATCH = 6


def worker_environ(s3_storage, media_root) -> dict[str, str]:
    return service_env(MEDIA_ROOT=str(media_root), **s3_storage.environ())


def files_under(folder) -> list[str]:
    return [str(path) for path in folder.rglob("*") if path.is_file()]


def test_two_workers_without_a_shared_disk_make_a_batch_of_swaps(s3_storage, tmp_path, faces_dir, django_user_model):
    import django_rq

    require_postgres()
    require_redis_url()
    queue = django_rq.get_queue("swaps")
    queue.empty()  # no jobs left over from an earlier run (only this queue's keys)

    template = template_from_photo(faces_dir / "couple_man_woman_closeup.jpg")
    users = [user_create(username=f"couple{i}") for i in range(3)]
    photos = {
        (user.pk, name): upload_photo(user, faces_dir / name)
        for user in users
        for name in {n for c in COUPLES for n in c}
    }
    media = [tmp_path / "machine-a" / "media", tmp_path / "machine-b" / "media"]
    names = [f"machine-{letter}-{uuid.uuid4().hex[:8]}" for letter in "ab"]
    workers = []
    for i, folder in enumerate(media):
        folder.mkdir(parents=True)
        workers.append(
            RQWorker(env=worker_environ(s3_storage, folder), log_path=tmp_path / f"worker-{i}.log", name=names[i])
        )
    with stopping(*workers):
        # Both load their models at the same time, as two machines would.
        for worker in workers:
            worker.start(wait=False)
        for worker in workers:
            worker.wait_until_ready()

        tasks = []
        for n in range(BATCH):
            user = users[n % len(users)]
            husband, wife = COUPLES[n % len(COUPLES)]
            task = services.swap_create(
                user=user, template=template, husband_image=photos[user.pk, husband], wife_image=photos[user.pk, wife]
            )
            tasks.append((task.pk, (husband, wife)))

        def all_finished() -> bool:
            return not FaceSwapTask.objects.filter(
                pk__in=[pk for pk, _ in tasks], status__in=["pending", "processing"]
            ).exists()

        wait_for(all_finished, timeout=240, what="the batch of swaps")
        logs = "\n".join(worker.log() for worker in workers)

    jobs = [Job.fetch(services.SWAP_JOBS.job_id(pk), connection=queue.connection) for pk, _ in tasks]
    # Both machines took part.
    assert {job.worker_name for job in jobs} == set(names), logs[-3000:]
    # Nothing was written to either machine's disk: photos came from S3 and results went there.
    assert files_under(tmp_path / "machine-a") == [] and files_under(tmp_path / "machine-b") == []

    expected = reference_results(template, {name: photos[users[0].pk, name] for name in (MAN, WOMAN)})
    for pk, couple in tasks:
        task = FaceSwapTask.objects.select_related("result_image").get(pk=pk)
        assert task.status == "completed", (task.error_message, logs[-3000:])
        result = task.result_image
        assert result.file.name.startswith("s3/result/") and result.file.name in s3_storage.keys("s3/result/")
        made = np.asarray(PILImage.open(io.BytesIO(s3_storage.read(result.file.name))).convert("RGB"), dtype=np.float32)
        assert made.shape == expected[couple].shape
        # The worker's result is the swap of this task's couple (JPEG noise aside), not another task's.
        difference = np.abs(made - expected[couple]).mean()
        other = next(c for c in expected if c != couple)
        assert difference < 2.0, difference
        assert np.abs(made - expected[other]).mean() > difference * 2


def reference_results(template, stored: dict) -> dict[tuple[str, str], np.ndarray]:
    """Each couple swapped into the template here, in the test process, by the same engine, from the same
    stored photos (read back from S3)."""
    from faceengine import load_image, swap_couple

    def read(image, what: str):
        with image.file.open("rb") as fp:
            return load_image(fp.read(), what=what)

    picture = read(template.image, "template")
    faces = services.template_faces_for_swap(template)
    results = {}
    for husband, wife in COUPLES:
        result, _ = swap_couple(
            picture,
            faces,
            read(stored[husband], "husband photo"),
            read(stored[wife], "wife photo"),
            engine=services.engine_get(),
        )
        results[husband, wife] = np.asarray(result, dtype=np.float32)
    return results
