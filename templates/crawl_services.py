"""Writes for a template crawl's life: create, start, run, cancel and fail crawls.

A crawl (`CrawlTask`) asks one source (`templates.crawlers`) for candidates and turns each acceptable new
picture into an inactive `Template` waiting for review (`templates.crawl_candidates` decides each one). The
crawl runs as an RQ job on the `crawl` queue (`templates.tasks.crawl_run_task`), or in the calling process
(`crawl_templates --sync`). Reviewing what it collected (approve, reject, take down) is the templates'
own business (`templates.services`), which the admin uses for every template.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import django_rq
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException
from rq.worker import Worker

from .crawl_candidates import CREATED, DUPLICATE, NEAR_DUPLICATE, REFUSED, CandidateRules, collect_candidate
from .crawl_hashes import KnownPictures
from .crawlers import CrawlFailed, CrawlFilters, CrawlSession, get_crawler
from .models import CrawlTask

logger = logging.getLogger(__name__)

Status = CrawlTask.Status
QUEUE_NAME = "crawl"
CRAWL_TASK = "templates.tasks.crawl_run_task"
REPORT_LINES = 200  # the last lines of a run kept on the task for the admin
ABANDONED_ERROR = (
    "The crawl worker stopped before the crawl finished. Run it again: pictures already collected are kept "
    "and skipped as duplicates."
)
TIMEOUT_ERROR = "The crawl took longer than CRAWL_JOB_TIMEOUT and was stopped; the pictures collected so far are kept."
GENERIC_ERROR = "The crawl stopped on an unexpected error (see the worker's log)."


def job_id_for(crawl_id: int) -> str:
    """A crawl's fixed RQ job id: never queued twice, and its job can be found again."""
    return f"crawl-task-{crawl_id}"


# --- create, start, cancel, fail --------------------------------------------------------------------------


def crawl_create(*, source_type: str, search_query: str, filters: Any = None, limit: int | None = None) -> CrawlTask:
    """A pending crawl; ValidationError with plain messages for an unknown source, no query or bad filters."""
    problems = []
    if source_type not in CrawlTask.SourceType.values:
        problems.append(f"Unknown source {source_type!r}; use danbooru, pixiv or custom.")
    if not (search_query or "").strip():
        problems.append("Give a search query (tags for Danbooru and pixiv; URLs or a folder for custom).")
    if limit is not None and limit < 1:
        problems.append("The limit must be at least 1.")
    try:
        CrawlFilters.parse(filters)
    except ValidationError as exc:
        problems += exc.messages
    if problems:
        raise ValidationError(problems)
    return CrawlTask.objects.create(
        source_type=source_type,
        search_query=search_query.strip(),
        filters=filters or {},
        limit=limit,
        status=Status.PENDING,
    )


def crawl_enqueue(*, crawl_id: int) -> bool:
    """Put a crawl's id on the `crawl` queue; False (and a log line) when Redis cannot be reached."""
    try:
        # By dotted path: the task module imports this one, not the other way round.
        django_rq.get_queue(QUEUE_NAME).enqueue(
            CRAWL_TASK,
            crawl_id,
            job_id=job_id_for(crawl_id),
            job_timeout=settings.CRAWL_JOB_TIMEOUT,
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError:
        logger.warning("Could not queue crawl %s; it stays pending until fail_stuck_crawls queues it", crawl_id)
        return False
    return True


def crawl_start(*, crawl: CrawlTask) -> CrawlTask:
    """Queue a crawl (the admin's "Run crawl"); a finished one runs again from the start.

    Running again is safe: what the first run collected is skipped as duplicates. A crawl already
    processing is refused (ValidationError).
    """
    if crawl.status == Status.PROCESSING:
        raise ValidationError(f"Crawl #{crawl.pk} is running right now; cancel it first to start it again.")
    with transaction.atomic():
        CrawlTask.objects.filter(pk=crawl.pk).exclude(status=Status.PROCESSING).update(
            status=Status.PENDING, error_message=None, started_at=None, completed_at=None
        )
        transaction.on_commit(lambda: _job_delete(crawl_id=crawl.pk))
        transaction.on_commit(lambda: crawl_enqueue(crawl_id=crawl.pk))
    crawl.refresh_from_db()
    return crawl


def crawl_cancel(*, crawl: CrawlTask) -> bool:
    """Stop a pending or processing crawl: a running one stops before its next candidate. False if finished."""
    cancelled = CrawlTask.objects.filter(pk=crawl.pk, status__in=[Status.PENDING, Status.PROCESSING]).update(
        status=Status.CANCELLED, error_message="Cancelled by a curator.", completed_at=timezone.now()
    )
    if cancelled and crawl.status == Status.PENDING:
        _job_delete(crawl_id=crawl.pk)
    crawl.refresh_from_db()
    return bool(cancelled)


def crawl_fail(*, crawl_id: int, message: str) -> bool:
    """Mark a pending or processing crawl failed with a message; False if it was not."""
    return bool(
        CrawlTask.objects.filter(pk=crawl_id, status__in=[Status.PENDING, Status.PROCESSING]).update(
            status=Status.FAILED, error_message=message, completed_at=timezone.now()
        )
    )


def crawls_fail_stuck(*, older_than: timedelta | None = None) -> dict[str, int]:
    """Repair crawls that would otherwise wait forever; safe from cron, twice, and at a crawl worker's start.

    - processing, whose job is gone, failed, or whose worker has died (a killed worker on this machine is
      noticed at once), or that started longer ago than `older_than` (default: CRAWL_JOB_TIMEOUT plus a
      minute): failed with ABANDONED_ERROR, so it can be run again;
    - pending for longer than `older_than` without a job in the queue (Redis was down): queued again.
    """

    older_than = older_than or timedelta(seconds=settings.CRAWL_JOB_TIMEOUT + 60)
    connection = django_rq.get_queue(QUEUE_NAME).connection
    cutoff = timezone.now() - older_than
    counts = {"failed": 0, "requeued": 0, "left": 0}
    for crawl in CrawlTask.objects.filter(status=Status.PROCESSING).only("pk", "started_at"):
        too_old = crawl.started_at is None or crawl.started_at < cutoff
        if (too_old or not _job_is_alive(connection, crawl.pk)) and crawl_fail(
            crawl_id=crawl.pk, message=ABANDONED_ERROR
        ):
            counts["failed"] += 1
        else:
            counts["left"] += 1
    for crawl in CrawlTask.objects.filter(status=Status.PENDING, created_at__lt=cutoff).only("pk"):
        if _job_status(connection, crawl.pk) in ("queued", "scheduled", "deferred", "started"):
            counts["left"] += 1
        elif crawl_enqueue(crawl_id=crawl.pk):
            counts["requeued"] += 1
    return counts


def _fetch_job(connection: Any, crawl_id: int) -> Job | None:
    try:
        return Job.fetch(job_id_for(crawl_id), connection=connection)
    except NoSuchJobError:
        return None


def _job_status(connection: Any, crawl_id: int) -> str | None:
    job = _fetch_job(connection, crawl_id)
    status = job.get_status() if job is not None else None
    return str(getattr(status, "value", status)) if status is not None else None


def _job_is_alive(connection: Any, crawl_id: int) -> bool:
    """True while a live worker runs the crawl's job."""
    job = _fetch_job(connection, crawl_id)
    if job is None or _job_status(connection, crawl_id) != "started" or not job.worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=connection)
    if worker is None:
        return False
    # A worker killed on this machine is dead before its registration expires.
    return not (worker.hostname == socket.gethostname() and worker.pid and not _pid_running(worker.pid))


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _job_delete(*, crawl_id: int) -> None:
    """Forget a crawl's old RQ job so its fixed id can be queued again (and a cancelled one never starts)."""
    with contextlib.suppress(RedisError):
        job = _fetch_job(django_rq.get_queue(QUEUE_NAME).connection, crawl_id)
        if job is not None:
            job.delete()


# --- run ----------------------------------------------------------------------------------------------------


class _Cancelled(Exception):
    pass


def crawl_run(*, crawl_id: int, echo: Callable[[str], None] | None = None) -> CrawlTask | None:
    """Run one crawl: claim it (pending -> processing, exactly once), collect, then complete or fail.

    `echo` receives one line per candidate and the totals (the command prints them). `images_collected`
    rises as templates are created; a cancelled crawl stops before its next candidate. Returns the task,
    or None when it was deleted or somebody else claimed it.
    """
    claimed = CrawlTask.objects.filter(pk=crawl_id, status=Status.PENDING).update(
        status=Status.PROCESSING, started_at=timezone.now(), completed_at=None, error_message=None, report={}
    )
    if not claimed:
        return CrawlTask.objects.filter(pk=crawl_id).first() if echo is None else _not_claimed(crawl_id, echo)
    crawl = CrawlTask.objects.get(pk=crawl_id)
    run = _Run(crawl, echo or (lambda line: None))
    try:
        run.collect()
    except _Cancelled:
        run.say("cancelled: stopped before the next candidate")
        run.finish(Status.CANCELLED, None)
    except CrawlFailed as exc:
        run.finish(Status.FAILED, str(exc))
    except Exception as exc:
        if isinstance(exc, JobTimeoutException):
            run.finish(Status.FAILED, TIMEOUT_ERROR)
        else:
            logger.exception("crawl %s failed", crawl_id)
            run.finish(Status.FAILED, GENERIC_ERROR)
    else:
        run.finish(Status.COMPLETED, None)
    return CrawlTask.objects.filter(pk=crawl_id).first()


def _not_claimed(crawl_id: int, echo: Callable[[str], None]) -> CrawlTask | None:
    crawl = CrawlTask.objects.filter(pk=crawl_id).first()
    echo(f"crawl #{crawl_id} is {crawl.status if crawl else 'deleted'}, not pending: nothing to do")
    return crawl


class _Run:
    """One crawl's state while it runs: the session, the counts, the last lines."""

    def __init__(self, crawl: CrawlTask, echo: Callable[[str], None]) -> None:
        self.crawl = crawl
        self.echo = echo
        self.filters = CrawlFilters.parse(crawl.filters)
        self.limit = self.filters.max_images or crawl.limit or settings.CRAWL_MAX_IMAGES
        if crawl.limit:
            self.limit = min(self.limit, crawl.limit)
        self.counts = {CREATED: 0, DUPLICATE: 0, NEAR_DUPLICATE: 0, REFUSED: 0}
        self.lines: list[str] = []
        self.session = CrawlSession()
        self.started = time.monotonic()

    def say(self, line: str) -> None:
        self.echo(line)
        self.lines = [*self.lines[-(REPORT_LINES - 1) :], line]

    def report(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        return {
            **self.counts,
            "seconds": round(elapsed, 2),
            "delay_seconds": round(self.session.delay_slept, 2),
            "requests": self.session.requests_sent,
            "lines": self.lines,
        }

    def collect(self) -> None:
        crawler = get_crawler(self.crawl.source_type or "", session=self.session)
        detect = crawler.detect_faces if self.filters.detect_faces is None else self.filters.detect_faces
        known = KnownPictures.load()
        # Stop looking once this many candidates in a row gave nothing new (everything filtered, say).
        patience = max(200, 10 * self.limit)
        since_new = 0
        rules = CandidateRules.from_filters(self.filters)
        for candidate in crawler.search(self.crawl.search_query or "", self.filters):
            if not CrawlTask.objects.filter(pk=self.crawl.pk, status=Status.PROCESSING).exists():
                raise _Cancelled
            outcome = collect_candidate(
                candidate,
                crawl=self.crawl,
                session=self.session,
                category=crawler.category,
                detect=detect,
                known=known,
                rules=rules,
            )
            self.counts[outcome.kind] += 1
            self.say(outcome.line)
            if outcome.kind == CREATED:
                CrawlTask.objects.filter(pk=self.crawl.pk).update(
                    images_collected=F("images_collected") + 1, report=self.report()
                )
            since_new = 0 if outcome.kind == CREATED else since_new + 1
            if self.counts[CREATED] >= self.limit:
                self.say(f"reached the limit of {self.limit} new template{'s' if self.limit != 1 else ''}")
                return
            if since_new >= patience:
                self.say(f"stopped after {since_new} candidates in a row without a new template")
                return

    def finish(self, status: str, message: str | None) -> None:
        c = self.counts
        self.say(
            f"{c[CREATED]} created, {c[DUPLICATE]} skipped duplicate, {c[NEAR_DUPLICATE]} skipped near-duplicate, "
            f"{c[REFUSED]} refused in {time.monotonic() - self.started:.1f} s "
            f"({self.session.requests_sent} requests, {self.session.delay_slept:.1f} s of polite delay)"
        )
        if message:
            self.say(f"failed: {message}")
        CrawlTask.objects.filter(pk=self.crawl.pk, status=Status.PROCESSING).update(
            status=status, error_message=message, completed_at=timezone.now(), report=self.report()
        )
        # A cancelled crawl keeps its status, but its report is still worth keeping.
        CrawlTask.objects.filter(pk=self.crawl.pk, status=Status.CANCELLED).update(report=self.report())
