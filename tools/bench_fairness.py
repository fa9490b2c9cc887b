"""`make bench`, fairness section: one person's flood of swaps against another person's single swap.

User A submits 40 swaps, user B one right after, to one real worker over real Redis. B's
submit-to-completed time is compared with a single swap's on the idle system (target: under 2x), and
B's gallery page (My photos) is timed during A's flood against the same page before it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.urls import reverse

from testing import FACES_DIR
from tools import djangosetup
from tools.bench_swaps import _file, _start_worker, _wait_for, bench_environment


class Command(BaseCommand):
    help = "Benchmark: user A floods the queue with swaps, user B submits one; B's wait and gallery times."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--flood", type=int, default=40)
        parser.add_argument("--timeout", type=float, default=600.0)

    def handle(self, *args, **options) -> None:
        if not FACES_DIR.is_dir():
            raise CommandError(f"the shared test photos are not at {FACES_DIR} (set FACES_TESTDATA_DIR)")
        # The per-person caps would refuse most of the flood; fair queueing is what is measured.
        with bench_environment(SWAPS_MAX_ACTIVE_PER_USER=10_000, SWAPS_MAX_PER_HOUR=10_000) as (media, redis_url, tmp):
            self._run(options["flood"], options["timeout"], media, redis_url, tmp)

    def _run(self, flood: int, timeout: float, media: Path, redis_url: str, tmp: Path) -> None:
        import django_rq
        from django.contrib.auth import get_user_model

        from gallery.services import image_upload
        from swaps.models import FaceSwapTask
        from templates.services import template_activate, template_create

        django_rq.get_queue("swaps").empty()
        template = template_activate(
            template=template_create(image_file=_file("couple_man_woman_closeup.jpg"), title="Bench")
        )
        people = {}
        for name in ("a", "b"):
            user = get_user_model().objects.create_user(username=f"bench-{name}", email=f"{name}@example.com")
            photos = [
                image_upload(owner=user, file=_file(photo), image_type="source")
                for photo in ("man_single_obama.jpg", "woman_single_astronaut.png")
            ]
            client = Client()
            client.force_login(user)
            people[name] = (user, photos, client)

        def submit(name: str) -> None:
            _, (husband, wife), client = people[name]
            response = client.post(
                reverse("swaps:new", args=[template.pk]), {"husband_photo": husband.pk, "wife_photo": wife.pk}
            )
            if response.status_code != 302:
                raise CommandError(f"submit failed: {response.status_code}")

        def finished(user) -> bool:
            return not FaceSwapTask.objects.filter(user=user, status__in=["pending", "processing"]).exists()

        def gallery_times(count: int) -> list[float]:
            client = people["b"][2]
            times = []
            for _ in range(count):
                started = time.perf_counter()
                client.get(reverse("gallery:photo_list"))
                times.append(time.perf_counter() - started)
            return times

        def b_swap():
            submit("b")
            _wait_for(lambda: finished(people["b"][0]), timeout, worker_log)
            return FaceSwapTask.objects.filter(user=people["b"][0]).order_by("-id").first()

        worker_log = tmp / "worker.log"
        worker = _start_worker(media, redis_url, worker_log)
        try:
            _wait_for(lambda: "Listening on" in worker_log.read_text(errors="replace"), 60, worker_log)
            gallery_idle = gallery_times(20)
            singles = [b_swap() for _ in range(5)][2:]  # the first swaps pay one-time costs
            for _ in range(flood):
                submit("a")
            theirs = [b_swap() for _ in range(3)]  # one after another, while A's flood is still queued
            a_done = FaceSwapTask.objects.filter(user=people["a"][0], status="completed").count()
            a_left = FaceSwapTask.objects.filter(user=people["a"][0], status__in=["pending", "processing"]).count()
            gallery_flood = gallery_times(20)
            flood_still_on = not finished(people["a"][0])
        finally:
            worker.terminate()
            worker.wait(timeout=30)

        def latency(task) -> float:
            return (task.completed_at - task.created_at).total_seconds()

        self.stdout.write(f"\nFairness: user A submits {flood} swaps, user B one right after; one worker")
        self.stdout.write(f"  database {connection.vendor}, queue {redis_url}")
        alone = statistics.median(latency(task) for task in singles)
        behind = statistics.median(latency(task) for task in theirs)
        rows = [
            ("single swap alone, submit -> completed, median", f"{alone:8.2f} s"),
            ("B's swap during A's flood, submit -> completed", f"{behind:8.2f} s  (median of 3)"),
            ("  ratio to the single swap (target < 2)", f"{behind / alone:8.2f} x"),
            ("A's swaps done / still waiting after B's three", f"{a_done:8d} / {a_left}"),
            ("B's gallery page, median before the flood", f"{statistics.median(gallery_idle) * 1000:8.1f} ms"),
            ("B's gallery page, median during the flood", f"{statistics.median(gallery_flood) * 1000:8.1f} ms"),
        ]
        for label, value in rows:
            self.stdout.write(f"  {label:<48} {value}")
        if not flood_still_on:
            self.stdout.write("  (A's flood ended before the gallery was timed: use a larger --flood)")
        if any(task.status != "completed" for task in theirs) or behind >= 2 * alone:
            raise CommandError("B's swap was not served fairly: see the figures above")


if __name__ == "__main__":
    djangosetup.run(Command)
