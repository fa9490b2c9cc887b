"""`make bench-worker`: where a swap job's time goes, and swaps per second for 1, 2 and 4 swap workers.

Real RQ workers (`manage.py rqworker swaps`, models loaded before the first job, a forked work horse per
job) over real Redis and a throwaway database, the pictures on the local disk. For each worker count the
same number of swaps of the same couple (faces already found at submit, as on the site) are submitted at
once by several people (fair queueing gives each person one swap in the queue at a time), and the run is
timed from the first submit to the last result. Per swap: the engine's own time (its report), the job's
reads and invisible mark (recorded in the result's report), the store (encode, C2PA seal, thumbnail,
write, row: the job's time after processing_time and the mark), the whole job (claim -> stored), and
the wall time per swap of the run. Compare within one run.
"""

from __future__ import annotations

import itertools
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

PEOPLE = 8


class Command(BaseCommand):
    help = "Benchmark: a swap job's time outside the engine, and swaps/s for 1, 2 and 4 workers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
        parser.add_argument("--tasks", type=int, default=16, help="swaps per worker count")
        parser.add_argument("--timeout", type=float, default=300.0)
        parser.add_argument("--keep-logs", default="", help="copy the workers' logs into this folder")
        parser.add_argument(
            "--before",
            default="",
            help="a checkout of an earlier commit (same migrations): adds its one-worker row, measured in this run",
        )

    def handle(self, *args, **options) -> None:
        if not FACES_DIR.is_dir():
            raise CommandError(f"the shared test photos are not at {FACES_DIR} (set FACES_TESTDATA_DIR)")
        counts = [(int(n), None) for n in options["workers"].split(",")]
        if options["before"]:
            counts.insert(0, (1, Path(options["before"]).resolve()))
        # bench_environment takes the partner's agreement as given: the bench times the machine.
        with bench_environment(SWAPS_MAX_PER_HOUR=10_000) as (media, redis_url, tmp):
            self._run(counts, options["tasks"], options["timeout"], media, redis_url, tmp)
            if options["keep_logs"]:
                import shutil

                for log in tmp.glob("worker-*.log"):
                    shutil.copy(log, options["keep_logs"])

    def _run(self, counts, tasks: int, timeout: float, media, redis_url: str, tmp) -> None:
        import django_rq
        from django.contrib.auth import get_user_model

        from gallery.services import image_upload
        from swaps.models import FaceSwapTask
        from templates.services import template_activate, template_create

        template = template_activate(
            template=template_create(image_file=_file("couple_man_woman_closeup.jpg"), title="Bench")
        )
        people = []
        for i in range(PEOPLE):
            user = get_user_model().objects.create_user(
                username=f"bench{i}", email=f"bench{i}@example.com", password="x" * 12
            )
            husband = image_upload(owner=user, file=_file("man_single_obama.jpg"), image_type="source")
            wife = image_upload(owner=user, file=_file("woman_single_astronaut.png"), image_type="source")
            client = Client()
            client.force_login(user)
            people.append((user, client, husband, wife))

        results = []
        for count, checkout in counts:
            django_rq.get_queue("swaps").empty()
            FaceSwapTask.objects.all().delete()
            logs = [tmp / f"worker-{count}{'-before' if checkout else ''}-{i}.log" for i in range(count)]
            workers = [_start_worker(media, redis_url, log, checkout=checkout) for log in logs]
            try:
                for log in logs:
                    _wait_for(lambda log=log: "Listening on" in log.read_text(errors="replace"), 180, log)
                started = time.perf_counter()
                for i in range(tasks):
                    user, client, husband, wife = people[i % PEOPLE]
                    response = client.post(
                        reverse("swaps:new", args=[template.pk]), {"husband_photo": husband.pk, "wife_photo": wife.pk}
                    )
                    if response.status_code != 302:
                        raise CommandError(f"submit failed: {response.status_code}")
                done = FaceSwapTask.objects.filter(status__in=["completed", "failed"])
                memory = _Memory([worker.pid for worker in workers])
                _wait_for(lambda done=done, memory=memory: memory.sample() or done.count() == tasks, timeout, logs[0])
                submitted_to_done = time.perf_counter() - started
            finally:
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    worker.wait(timeout=30)
            rows = list(FaceSwapTask.objects.select_related("result_image").order_by("started_at"))
            gaps = _outside_the_job(rows)
            failed = [task for task in rows if task.status != "completed"]
            if failed:
                raise CommandError(f"{len(failed)} swaps failed: {failed[0].error_message}")
            reports = [task.result_image.metadata["swap"] for task in rows]
            # The workers' busy span: from the first job's start to the last one's end (RQ's timestamps), so
            # the submits before the first job and the wait for the last row do not count as work.
            wall = gaps.pop("span")
            results.append(
                {
                    "workers": count,
                    "label": f"{count} before" if checkout else str(count),
                    "wall": wall,
                    "submitted_to_done": submitted_to_done,
                    "parent_mb": max(memory.parent, default=0.0),
                    "horse_mb": max(memory.horse, default=0.0),
                    "per_swap": wall / tasks,
                    "rate": tasks / wall,
                    "engine": statistics.median(report["seconds"] for report in reports),
                    "read": statistics.median(report["job_seconds"]["read"] for report in reports),
                    "mark": statistics.median(report["job_seconds"]["mark"] for report in reports),
                    # processing_time runs from the claim to the engine's end; the job to its stored result.
                    # processing_time runs from the claim to the stored result, "swapped" to the engine's end
                    # (an earlier checkout without "swapped" ended processing_time at the engine's end).
                    "store": statistics.median(
                        task.processing_time - report["job_seconds"]["swapped"] - report["job_seconds"]["mark"]
                        if "swapped" in report["job_seconds"]
                        else (task.completed_at - task.started_at).total_seconds()
                        - task.processing_time
                        - report["job_seconds"]["mark"]
                        for task, report in zip(rows, reports, strict=True)
                    ),
                    "swapped": statistics.median(
                        report["job_seconds"].get("swapped", task.processing_time)
                        for task, report in zip(rows, reports, strict=True)
                    ),
                    "processing": statistics.median(task.processing_time for task in rows),
                    "job": statistics.median((task.completed_at - task.started_at).total_seconds() for task in rows),
                    **gaps,
                }
            )

        self.stdout.write(
            f"\nSwap workers: {tasks} swaps of one couple per row, submitted at once by {PEOPLE} people "
            f"({connection.vendor}, local disk); medians per swap, seconds; wall: the workers' busy span (first "
            f"job's start -> last job's end, RQ's timestamps) per swap"
        )
        header = (
            f"| {'workers':>8} | {'engine':>6} | {'read':>6} | {'mark':>6} | {'store':>6} | {'job':>6} | "
            f"{'wall/swap':>9} | {'wall/engine':>11} | {'swaps/s':>7} |"
        )
        self.stdout.write(header)
        self.stdout.write("|" + "|".join("-" * len(part) for part in header.split("|")[1:-1]) + "|")
        for row in results:
            self.stdout.write(
                f"| {row['label']:>8} | {row['engine']:>6.3f} | {row['read']:>6.3f} | {row['mark']:>6.3f} | "
                f"{row['store']:>6.3f} | {row['job']:>6.3f} | {row['per_swap']:>9.3f} | "
                f"{row['per_swap'] / row['engine']:>10.2f}x | {row['rate']:>7.2f} |"
            )
        self.stdout.write(
            "\nMemory (largest sampled): "
            + "; ".join(
                f"{row['label']} worker(s): worker {row['parent_mb']:.0f} MB resident, "
                f"its horse {row['horse_mb']:.0f} MB private"
                for row in results
            )
        )
        for row in results:
            if row["workers"] != 1:
                continue
            one = row
            self.stdout.write(
                f"\nOne worker{' (before)' if row['label'] != '1' else ''}: wall per swap {one['per_swap']:.3f} s = "
                f"{one['per_swap'] / one['engine']:.2f}x the "
                f"engine's {one['engine']:.3f} s (target <= 1.5x); inside the job, outside the engine: "
                f"read {one['read']:.3f}, "
                f"mark {one['mark']:.3f}, store (encode, seal, thumbnail, write, row) {one['store']:.3f}, the rest "
                f"(claim, progress, faces) {one['swapped'] - one['engine'] - one['read']:.3f}; outside the job "
                f"(queue, fork, bookkeeping) {one['per_swap'] - one['job']:.3f}: the job's start in the horse -> claim "
                f"{one['before']:.3f}, stored -> the job's end (the owner's next swap queued) {one['after']:.3f}, "
                f"one job's end -> the next one's start (RQ's result, the horse's exit, dequeue, fork) "
                f"{one['between']:.3f}"
            )


class _Memory:
    """Samples, while the swaps run, each worker's resident memory and its work horse's private memory
    (what a horse adds beyond the pages it still shares with its worker: /proc/<pid>/smaps_rollup)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.parent: list[float] = []
        self.horse: list[float] = []

    def sample(self) -> bool:
        for pid in self.pids:
            self.parent.append(_proc_mb(pid, "status", "VmRSS:"))
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for child in children:
                self.horse.append(
                    _proc_mb(int(child), "smaps_rollup", "Private_Clean:")
                    + _proc_mb(int(child), "smaps_rollup", "Private_Dirty:")
                )
        return False


def _proc_mb(pid: int, name: str, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _outside_the_job(rows) -> dict[str, float]:
    """Medians, from RQ's own timestamps of each job (kept with its result), of the time a worker spends
    on a swap outside swap_run: in the horse before the claim and after the stored result, and between
    one job's end and the same worker's next job's start (the horse's exit, the dequeue, the fork)."""
    from rq.job import Job

    from swaps.services import SWAP_JOBS

    connection = SWAP_JOBS.connection()
    jobs = Job.fetch_many([SWAP_JOBS.job_id(task.pk) for task in rows], connection=connection)
    before, after, spans = [], [], []
    for task, job in zip(rows, jobs, strict=True):
        if job is None or job.started_at is None or job.ended_at is None:
            continue
        before.append((task.started_at - job.started_at).total_seconds())
        after.append((job.ended_at - task.completed_at).total_seconds())
        spans.append((job.started_at, job.ended_at, job.worker_name))
    if len(spans) != len(rows):
        raise CommandError(f"RQ kept the timestamps of {len(spans)} of {len(rows)} jobs")
    between = [
        (b[0] - a[1]).total_seconds()
        for worker in {span[2] for span in spans}
        for a, b in itertools.pairwise(sorted(span for span in spans if span[2] == worker))
    ]
    return {
        "before": statistics.median(before) if before else float("nan"),
        "after": statistics.median(after) if after else float("nan"),
        "between": statistics.median(between) if between else float("nan"),
        "span": (max(span[1] for span in spans) - min(span[0] for span in spans)).total_seconds(),
    }


if __name__ == "__main__":
    djangosetup.run(Command)
