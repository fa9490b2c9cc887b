"""One crawl candidate, checked and stored: the content rules, the catalogue's duplicates and
near-duplicates, the download, then a new template waiting for review.

For every candidate the crawl says one of: created, skipped duplicate (same source checksum, same source
page, or same sha256 of the clean copy), skipped near-duplicate (perceptual hash within
CRAWL_PHASH_DISTANCE bits of a template's), or refused with the reason (content rules, download problems,
and everything `gallery.services.image_clean` refuses). Nothing refused or skipped is stored.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from gallery.models import Image, ImageType
from gallery.services import image_clean

from .crawl_hashes import KnownPictures, image_perceptual_hash
from .crawlers import Candidate, CrawlFilters, CrawlRefused, CrawlSession
from .crawlers.base import normalise_tag
from .models import CrawlTask, Review, Template
from .services import template_create, template_find_duplicate

logger = logging.getLogger(__name__)

CREATED, DUPLICATE, NEAR_DUPLICATE, REFUSED = "created", "duplicate", "near_duplicate", "refused"
OUTCOME_WORDS = {
    CREATED: "created",
    DUPLICATE: "skipped duplicate",
    NEAR_DUPLICATE: "skipped near-duplicate",
    REFUSED: "refused",
}
MAX_TAGS = 60
TAG_LENGTH = 100


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


@dataclass(frozen=True)
class CandidateRules:
    """What a crawl accepts: ratings, blocked tags and sizes (the settings, narrowed by the crawl's filters)."""

    ratings: set[str]
    blocked: set[str]
    min_short: int
    min_width: int
    min_height: int

    @classmethod
    def from_filters(cls, filters: CrawlFilters) -> CandidateRules:
        return cls(
            ratings=set(filters.ratings or settings.CRAWL_RATINGS),
            blocked={normalise_tag(tag) for tag in settings.CRAWL_TAG_BLOCKLIST} | set(filters.exclude_tags),
            min_short=settings.CRAWL_MIN_SHORT_SIDE,
            min_width=filters.min_width,
            min_height=filters.min_height,
        )

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
    if md5:
        images = Image.objects.filter(image_type=ImageType.TEMPLATE, template__isnull=False)
        image = images.filter(metadata__source_md5=md5).select_related("template").first()
        if image:
            return image.template
    if sha256:
        template = template_find_duplicate(sha256=sha256)
        if template:
            return template
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
    rules: CandidateRules,
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
        template = template_create(
            picture=clean,
            title=(candidate.title or _filename(candidate)).strip()[:255],
            category=category,
            artist=(candidate.artist or "").strip()[:255],
            source_url=(candidate.page_url or "")[:500],
            tags=_tags(candidate.tags),
            detect=detect,
            review=Review.WAITING,
            crawl_task=crawl,
            metadata={"phash": phash, "source_md5": md5, "source_id": candidate.source_id},
        )
    except ValidationError as exc:
        return Outcome(REFUSED, candidate, " ".join(exc.messages))
    known.add(phash, template.pk)
    faces = f"{template.face_count} face{'s' if template.face_count != 1 else ''}"
    return Outcome(CREATED, candidate, f"{faces}, {template.review_label}", template)


def _filename(candidate: Candidate) -> str:
    if candidate.path is not None:
        return candidate.path.name
    return candidate.image_url.rsplit("/", 1)[-1].split("?", 1)[0][:200] or "picture.jpg"


def _tags(tags: Iterable[str]) -> list[str]:
    return [tag[:TAG_LENGTH] for tag in dict.fromkeys(t.strip() for t in tags) if tag][:MAX_TAGS]
