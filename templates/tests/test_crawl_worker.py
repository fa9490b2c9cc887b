"""Crawls in real RQ worker processes on the `crawl` queue (PostgreSQL and Redis required; CI=true fails
without them): a swap submitted meanwhile is made by its own worker without waiting for the crawl, and a
crawl whose worker is killed mid-way is failed and runs again without duplicates."""

from __future__ import annotations

import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_httpserver import HTTPServer

from templates import crawl_services
from templates.models import CrawlTask, Template
from testing import require_faces_dir, require_postgres, require_redis_url
from testing.cast import user_create
from testing.crawl_data import FakeBooru
from testing.fixtures_services import service_env
from testing.servers import RQWorker

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]


def wait_for(what: str, predicate, timeout: float = 90.0, *, logs=()) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(w.log()[-3000:] for w in logs))
        time.sleep(0.05)


@pytest.fixture
def services_here():
    require_postgres()
    require_redis_url()
    require_faces_dir()


@pytest.fixture
def booru(settings, services_here):
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        booru = FakeBooru(server)
        settings.DANBOORU_URL = booru.url
        settings.CRAWL_ALLOW_PRIVATE_NETWORKS = True
        settings.CRAWL_DELAY = 0
        yield booru
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def workers(tmp_path, booru):
    """start(queue, worker_class=""): a real RQ worker on the test database, media folder and Redis."""
    started: list[RQWorker] = []
    env = service_env(DANBOORU_URL=booru.url, CRAWL_ALLOW_PRIVATE_NETWORKS="True", CRAWL_DELAY="0")

    def start(queue: str, worker_class: str = "") -> RQWorker:
        log_path = tmp_path / f"{queue}-{len(started)}.log"
        worker = RQWorker(env=env, log_path=log_path, queues=(queue,), worker_class=worker_class)
        started.append(worker)
        return worker.start(timeout=60)

    yield start
    for worker in started:
        worker.stop()


def crawl_worker(start) -> RQWorker:
    return start("crawl", "templates.worker.CrawlWorker")


def test_a_crawl_runs_on_its_own_worker_and_a_swap_meanwhile_is_not_delayed(
    workers, booru, client, django_user_model, faces_dir
):
    from templates.services import template_activate, template_create, template_set_roles

    booru.picture_delay = 1.0  # a slow image site: the crawl takes about 8 s
    for _ in range(8):
        booru.add()
    couple = template_create(
        image_file=ContentFile((faces_dir / "couple_man_woman_closeup.jpg").read_bytes(), name="couple.jpg"),
        title="Red carpet",
        category="movie",
    )
    order = sorted(range(couple.face_count), key=lambda i: couple.face_positions[i]["box"][0])
    roles = [None] * couple.face_count
    roles[order[0]], roles[order[-1]] = "wife", "husband"
    template_activate(template=template_set_roles(template=couple, roles=roles))
    crawler = crawl_worker(workers)
    swapper = workers("swaps")
    logs = (crawler, swapper)

    crawl = crawl_services.crawl_create(source_type="danbooru", search_query="2girls")
    assert crawl_services.crawl_enqueue(crawl_id=crawl.pk)
    wait_for("the crawl to start", lambda: CrawlTask.objects.get(pk=crawl.pk).images_collected >= 1, logs=logs)

    client.force_login(user_create(username="alice"))
    submitted = time.monotonic()
    response = client.post(
        reverse("swaps:new", args=[couple.pk]),
        {
            "husband_upload": SimpleUploadedFile("h.jpg", (faces_dir / "man_single_obama.jpg").read_bytes()),
            "wife_upload": SimpleUploadedFile("w.png", (faces_dir / "woman_single_astronaut.png").read_bytes()),
        },
    )
    assert response.status_code == 302, response.text[:2000]
    task_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    status_url = reverse("swaps:status", args=[task_id])
    wait_for("the swap", lambda: client.get(status_url).json()["finished"], logs=logs)
    swap_seconds = time.monotonic() - submitted
    crawl_at_swap_end = CrawlTask.objects.get(pk=crawl.pk)

    assert client.get(status_url).json()["status"] == "completed", swapper.log()[-3000:]
    # The swap was made while the crawl was still collecting: it never waited behind it.
    assert crawl_at_swap_end.status == "processing", crawl_at_swap_end.status
    assert crawl_at_swap_end.images_collected < 8
    assert swap_seconds < 30, swap_seconds
    wait_for("the crawl to finish", lambda: CrawlTask.objects.get(pk=crawl.pk).is_finished, logs=logs)
    crawl.refresh_from_db()
    assert (crawl.status, crawl.images_collected) == ("completed", 8), crawl.error_message
    print(f"swap submitted during a crawl: {swap_seconds:.1f} s from submit to result")


def test_a_crawl_killed_mid_way_is_failed_and_runs_again_without_duplicates(workers, booru):
    booru.picture_delay = 0.6
    for _ in range(6):
        booru.add()
    first = crawl_worker(workers)
    crawl = crawl_services.crawl_create(source_type="danbooru", search_query="2girls")
    crawl_services.crawl_enqueue(crawl_id=crawl.pk)
    wait_for("two pictures", lambda: CrawlTask.objects.get(pk=crawl.pk).images_collected >= 2, logs=[first])

    first.kill()
    crawl.refresh_from_db()
    assert crawl.status == "processing" and crawl.images_collected < 6  # left behind by the dead worker
    collected = crawl.images_collected

    # A crawl worker starting up fails what a dead one left behind (cron's fail_stuck_crawls does the same).
    second = crawl_worker(workers)
    crawl.refresh_from_db()
    assert crawl.status == "failed" and crawl.error_message == crawl_services.CRAWL_JOBS.abandoned_error

    crawl_services.crawl_start(crawl=crawl)
    wait_for("the second run", lambda: CrawlTask.objects.get(pk=crawl.pk).is_finished, logs=[second])
    crawl.refresh_from_db()
    assert crawl.status == "completed", crawl.error_message
    assert Template.objects.count() == 6  # every picture once
    # What the first run collected is skipped (a picture stored just before the kill may not be counted yet).
    assert crawl.report["duplicate"] >= collected
    assert crawl.report["created"] + crawl.report["duplicate"] == 6


def test_cancel_stops_a_running_crawl_within_seconds_and_the_next_one_runs(workers, booru):
    from rq.job import JobStatus

    booru.picture_delay = 20  # a picture that takes its time: the crawl is inside the download
    booru.add()
    worker = crawl_worker(workers)
    crawl = crawl_services.crawl_create(source_type="danbooru", search_query="2girls")
    crawl_services.crawl_enqueue(crawl_id=crawl.pk)
    downloading = lambda: any(path.startswith("/data/") for _, path in booru.requests)  # noqa: E731
    wait_for("the download to start", downloading, logs=[worker])

    asked = time.monotonic()
    assert crawl_services.crawl_cancel(crawl=crawl)
    wait_for(
        "the running job to stop",
        lambda: crawl_services.CRAWL_JOBS.job_status(crawl.pk) in (JobStatus.STOPPED, JobStatus.FAILED),
        timeout=5,
        logs=[worker],
    )
    stopped_after = time.monotonic() - asked
    crawl.refresh_from_db()
    assert crawl.status == "cancelled" and crawl.error_message == "Cancelled by a curator."

    # The same worker takes the next crawl at once (it is not stuck behind the cancelled one).
    booru.picture_delay = 0
    following = crawl_services.crawl_create(source_type="danbooru", search_query="2girls")
    crawl_services.crawl_enqueue(crawl_id=following.pk)
    wait_for("the next crawl", lambda: CrawlTask.objects.get(pk=following.pk).is_finished, timeout=30, logs=[worker])
    following.refresh_from_db()
    assert following.status == "completed", following.error_message
    assert worker.process.poll() is None
    print(f"cancel: the running crawl job stopped {stopped_after:.2f} s after the curator asked")
