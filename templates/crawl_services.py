"""Writes for a template crawl's life: create, start, run, cancel and fail crawls.

A crawl (`CrawlTask`) asks one source (`templates.crawlers`) for candidates and turns each acceptable new
picture into an inactive `Template` waiting for review (`templates.crawl_candidates` decides each one). The
crawl runs as an RQ job on the `crawl` queue (`templates.tasks.crawl_run_task`), or in the calling process
(`crawl_templates --sync`). Reviewing what it collected (approve, reject, take down) is the templates'
own business (`templates.services`), which the admin uses for every template.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from jobs import JobKind, is_timeout, stuck_repair

from .crawl_candidates import (
    CREATED,
    DUPLICATE,
    NEAR_DUPLICATE,
    REFUSED,
    CandidateRules,
    Outcome,
    collect_candidate,
)
from .crawl_hashes import KnownPictures
from .crawlers import CrawlFailed, CrawlFilters, CrawlSession, get_crawler
from .models import CrawlTask

logger = logging.getLogger(__name__)

Status = CrawlTask.Status
# A crawl runs as one job on the `crawl` queue, its own, so a long crawl never delays a swap.
CRAWL_JOBS = JobKind(
    name="crawl",
    queue="crawl",
    task="templates.tasks.crawl_run_task",
    timeout_setting="CRAWL_JOB_TIMEOUT",
    result_ttl=24 * 3600,
    what="crawl",
    doing="running",
    advice="Run it again: pictures already collected are kept and skipped as duplicates.",
)
REPORT_LINES = 200  # the last lines of a run kept on the task for the admin


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
    """Put a crawl's id on the `crawl` queue; False (and a log line) when Redis cannot be reached
    (fail_stuck_crawls queues it later)."""
    return CRAWL_JOBS.enqueue(crawl_id)


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
        CRAWL_JOBS.enqueue_on_commit(crawl.pk, fresh=True)
    crawl.refresh_from_db()
    return crawl


def crawl_cancel(*, crawl: CrawlTask) -> bool:
    """Stop a pending or processing crawl; False if it had finished.

    A running crawl's job is stopped at once (its worker kills the work horse, mid-download if need be,
    and takes the next job); a crawl run in a process of its own (`crawl_templates --sync`) stops before
    its next candidate.
    """
    fields = {"status": Status.CANCELLED, "error_message": "Cancelled by a curator.", "completed_at": timezone.now()}
    waiting = CrawlTask.objects.filter(pk=crawl.pk, status=Status.PENDING).update(**fields)
    running = CrawlTask.objects.filter(pk=crawl.pk, status=Status.PROCESSING).update(**fields)
    if running:
        transaction.on_commit(lambda: CRAWL_JOBS.job_stop(crawl.pk))
    if waiting:
        CRAWL_JOBS.job_delete(crawl.pk)
    cancelled = waiting or running
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
      minute): failed with CRAWL_JOBS.abandoned_error, so it can be run again;
    - pending for longer than `older_than` without a job in the queue (Redis was down): queued again.
    """
    return stuck_repair(
        kind=CRAWL_JOBS,
        processing=CrawlTask.objects.filter(status=Status.PROCESSING),
        pending=CrawlTask.objects.filter(status=Status.PENDING),
        older_than=older_than or timedelta(seconds=settings.CRAWL_JOB_TIMEOUT + 60),
        fail=lambda crawl_id: crawl_fail(crawl_id=crawl_id, message=CRAWL_JOBS.abandoned_error),
    )


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
        if not is_timeout(exc):
            logger.exception("crawl %s failed", crawl_id)
        run.finish(Status.FAILED, CRAWL_JOBS.error_for(exc))
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
            try:
                outcome = collect_candidate(
                    candidate,
                    crawl=self.crawl,
                    session=self.session,
                    category=crawler.category,
                    detect=detect,
                    known=known,
                    rules=rules,
                )
            except DatabaseError:
                raise  # the crawl itself cannot go on
            except Exception as exc:
                if is_timeout(exc):
                    raise
                # Something about this one candidate that nothing foresaw: refuse it alone, go on.
                logger.exception("crawl %s: candidate %s failed", self.crawl.pk, candidate.source_id)
                outcome = Outcome(REFUSED, candidate, f"it could not be processed ({type(exc).__name__})")
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
