"""Writes for template crawls and the review queue: create, start, run, cancel and fail crawls; approve,
reject and take down crawled templates.

A crawl (`CrawlTask`) asks one source (`templates.crawlers`) for candidates and turns each acceptable new
picture into an inactive `Template` waiting for review. For every candidate it says one of: created,
skipped duplicate (same source checksum, same source page, or same sha256 of the clean copy), skipped
near-duplicate (perceptual hash within CRAWL_PHASH_DISTANCE bits of a template's), or refused with the
reason (content rules, download problems, and everything `gallery.services.image_clean` refuses).
Nothing refused or skipped is stored. The crawl runs as an RQ job on the `crawl` queue
(`templates.tasks.crawl_run_task`), or in the calling process (`crawl_templates --sync`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gallery.models import Image, ImageType
from gallery.services import image_clean, image_delete, image_store
from jobs import JobKind, is_timeout, stuck_repair

from .crawl_hashes import KnownPictures, image_perceptual_hash
from .crawlers import Candidate, CrawlFailed, CrawlFilters, CrawlRefused, CrawlSession, get_crawler
from .crawlers.base import normalise_tag
from .models import CrawlTask, Review, Template
from .services import template_activate, template_detect_faces

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
CREATED, DUPLICATE, NEAR_DUPLICATE, REFUSED = "created", "duplicate", "near_duplicate", "refused"
OUTCOME_WORDS = {
    CREATED: "created",
    DUPLICATE: "skipped duplicate",
    NEAR_DUPLICATE: "skipped near-duplicate",
    REFUSED: "refused",
}
REPORT_LINES = 200  # the last lines of a run kept on the task for the admin
MAX_TAGS = 60
TAG_LENGTH = 100


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
    """Stop a pending or processing crawl: a running one stops before its next candidate. False if finished."""
    cancelled = CrawlTask.objects.filter(pk=crawl.pk, status__in=[Status.PENDING, Status.PROCESSING]).update(
        status=Status.CANCELLED, error_message="Cancelled by a curator.", completed_at=timezone.now()
    )
    if cancelled and crawl.status == Status.PENDING:
        CRAWL_JOBS.job_delete(crawl.pk)
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


@dataclass
class Outcome:
    """What became of one candidate: `kind` is created, duplicate, near_duplicate or refused."""

    kind: str
    candidate: Candidate
    reason: str = ""
    template: Template | None = None

    @property
    def line(self) -> str:
        what = self.candidate.page_url or self.candidate.image_url
        text = f"{OUTCOME_WORDS[self.kind]:<23} {what}"
        if self.template is not None and self.kind == CREATED:
            text += f" -> template #{self.template.pk} “{self.template.title}”"
        return f"{text}: {self.reason}" if self.reason else text


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
        rules = self.rules()
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

    def rules(self) -> _Rules:
        return _Rules(
            ratings=set(self.filters.ratings or settings.CRAWL_RATINGS),
            blocked={normalise_tag(tag) for tag in settings.CRAWL_TAG_BLOCKLIST} | set(self.filters.exclude_tags),
            min_short=settings.CRAWL_MIN_SHORT_SIDE,
            min_width=self.filters.min_width,
            min_height=self.filters.min_height,
        )

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


@dataclass(frozen=True)
class _Rules:
    ratings: set[str]
    blocked: set[str]
    min_short: int
    min_width: int
    min_height: int

    def size_problem(self, width: int | None, height: int | None) -> str | None:
        if not width or not height:
            return None
        if min(width, height) < self.min_short:
            return f"{width}x{height} is too small: the short side must be at least {self.min_short} px"
        if width < self.min_width or height < self.min_height:
            return f"{width}x{height} is smaller than the filters' {self.min_width}x{self.min_height}"
        return None

    def content_problem(self, candidate: Candidate) -> str | None:
        if candidate.rating and candidate.rating not in self.ratings:
            return f"rating {candidate.rating} is not allowed (allowed: {', '.join(sorted(self.ratings))})"
        blocked = sorted({normalise_tag(tag) for tag in candidate.tags} & self.blocked)
        if blocked:
            return f"blocked tag{'s' if len(blocked) > 1 else ''} {', '.join(blocked)}"
        return self.size_problem(candidate.width, candidate.height)


def _duplicate_of(*, md5: str | None = None, page_url: str | None = None, sha256: str | None = None) -> Template | None:
    images = Image.objects.filter(image_type=ImageType.TEMPLATE, template__isnull=False)
    if md5:
        image = images.filter(metadata__source_md5=md5).select_related("template").first()
        if image:
            return image.template
    if sha256:
        image = images.filter(metadata__sha256=sha256).select_related("template").first()
        if image:
            return image.template
    if page_url:
        return Template.objects.filter(source_url=page_url[:500]).first()
    return None


def _read(candidate: Candidate, session: CrawlSession) -> bytes:
    if candidate.path is None:
        return session.download(candidate.image_url, headers=candidate.headers or None)
    size = candidate.path.stat().st_size
    if size > session.config.max_bytes:
        raise CrawlRefused(f"the file is {size / 1048576:.1f} MB, over the limit")
    return candidate.path.read_bytes()


def collect_candidate(
    candidate: Candidate,
    *,
    crawl: CrawlTask,
    session: CrawlSession,
    category: str,
    detect: bool,
    known: KnownPictures,
    rules: _Rules,
) -> Outcome:
    """Check one candidate against the rules and the catalogue, and store it as a template if it is new."""
    if candidate.refused:
        return Outcome(REFUSED, candidate, candidate.refused)
    problem = rules.content_problem(candidate)
    if problem:
        return Outcome(REFUSED, candidate, problem)
    # Cheap checks first: the same source checksum or page needs no download at all.
    existing = _duplicate_of(md5=candidate.md5, page_url=candidate.page_url if candidate.path is None else None)
    if existing is not None:
        return Outcome(DUPLICATE, candidate, f"already template #{existing.pk}")
    try:
        data = _read(candidate, session)
    except CrawlRefused as exc:
        return Outcome(REFUSED, candidate, str(exc))
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if candidate.md5 and md5 != candidate.md5:
        return Outcome(REFUSED, candidate, "the download does not match the source's checksum (cut short or changed)")
    try:
        clean = image_clean(file=ContentFile(data, name=_filename(candidate)), lossless=True)
    except ValidationError as exc:
        return Outcome(REFUSED, candidate, " ".join(exc.messages))
    problem = rules.size_problem(clean.width, clean.height)
    if problem:
        return Outcome(REFUSED, candidate, problem)
    existing = _duplicate_of(md5=md5, sha256=clean.sha256)
    if existing is not None:
        return Outcome(DUPLICATE, candidate, f"same picture as template #{existing.pk}")
    phash = image_perceptual_hash(data=clean.thumbnail)
    near = known.nearest(phash)
    if near is not None:
        distance, template_id = near
        logger.info("crawl %s: %s is a near-duplicate of template %s", crawl.pk, candidate.image_url, template_id)
        return Outcome(NEAR_DUPLICATE, candidate, f"looks like template #{template_id} ({distance} bits apart)")
    try:
        template = _template_create(
            candidate, clean=clean, crawl=crawl, category=category, metadata={"phash": phash, "source_md5": md5}
        )
    except ValidationError as exc:
        return Outcome(REFUSED, candidate, " ".join(exc.messages))
    known.add(phash, template.pk)
    if detect:
        template_detect_faces(template=template)
    faces = f"{template.face_count} face{'s' if template.face_count != 1 else ''}"
    return Outcome(CREATED, candidate, f"{faces}, {template.review_label}", template)


def _filename(candidate: Candidate) -> str:
    if candidate.path is not None:
        return candidate.path.name
    return candidate.image_url.rsplit("/", 1)[-1].split("?", 1)[0][:200] or "picture.jpg"


def _tags(tags: Iterable[str]) -> list[str]:
    return [tag[:TAG_LENGTH] for tag in dict.fromkeys(t.strip() for t in tags) if tag][:MAX_TAGS]


def _template_create(
    candidate: Candidate, *, clean: Any, crawl: CrawlTask, category: str, metadata: dict[str, Any]
) -> Template:
    """The picture stored and an inactive template waiting for review; nothing kept if either fails."""
    template = Template(
        title=(candidate.title or _filename(candidate)).strip()[:255],
        artist=(candidate.artist or "").strip()[:255] or None,
        source_url=(candidate.page_url or "")[:500] or None,
        category=category,
        face_positions=[],
        is_active=False,
        review=Review.WAITING,
        crawl_task=crawl,
    )
    template.full_clean(exclude=["image"])
    clean.filename = _filename(candidate)
    image = image_store(
        clean=clean,
        owner=None,
        image_type=ImageType.TEMPLATE,
        category=category,
        tags=_tags(candidate.tags),
        metadata={**metadata, "source_id": candidate.source_id},
    )
    try:
        with transaction.atomic():
            template.image = image
            template.save()
    except Exception:
        image_delete(image=image)
        raise
    return template


# --- the review queue -----------------------------------------------------------------------------------------


def template_reject(*, template: Template) -> Template:
    """Reject a crawled template: it leaves the queue, stays out of the gallery, and blocks re-crawling it."""
    template.review = Review.REJECTED
    template.is_active = False
    template.save(update_fields=["review", "is_active"])
    return template


def template_approve(*, template: Template) -> Template:
    """Approve a crawled template and put it in the gallery; ValidationError with the reasons otherwise."""
    template_activate(template=template)
    template.review = Review.APPROVED
    template.save(update_fields=["review"])
    return template


def template_takedown(*, template: Template, reason: str) -> Template:
    """Take a template out of the gallery for good (a rights holder's request, say), recording why.

    The row and picture stay, so the same picture is skipped as a duplicate by later crawls, and swaps
    made from it keep their history. It cannot be activated again while taken down.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the template is taken down (e.g. “the artist asked us to remove it”).")
    template.is_active = False
    template.takedown_reason = reason[:2000]
    template.taken_down_at = timezone.now()
    template.save(update_fields=["is_active", "takedown_reason", "taken_down_at"])
    return template
