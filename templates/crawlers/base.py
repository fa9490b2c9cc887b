"""The crawlers' one small vocabulary: a Candidate picture, the Crawler interface, the filters, the errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.core.exceptions import ValidationError


class CrawlRefused(Exception):
    """One candidate (or one request) cannot be used; `str(exc)` is the plain reason."""


class CrawlFailed(Exception):
    """The whole crawl cannot go on (missing credentials, the source refuses the search)."""


@dataclass(frozen=True)
class Candidate:
    """A picture a source offers: where to fetch it, where it is shown, and what the source says about it."""

    image_url: str
    source_id: str  # e.g. "danbooru:123", unique per picture at its source
    page_url: str | None = None
    title: str | None = None
    artist: str | None = None
    tags: tuple[str, ...] = ()
    rating: str | None = None  # Danbooru's letters: g(eneral), s(ensitive), q(uestionable), e(xplicit)
    width: int | None = None
    height: int | None = None
    md5: str | None = None  # the source's checksum of the file, when it gives one
    headers: dict[str, str] = field(default_factory=dict)  # e.g. the Referer pixiv's image host wants
    path: Path | None = None  # a file on this server (custom folder source) instead of a URL
    refused: str | None = None  # the source already tells us it cannot be used (video, no file)


class Crawler(Protocol):
    """A source of candidates. `category` is the templates' category; `detect_faces` is False for drawn art."""

    source: str
    category: str
    detect_faces: bool

    def search(self, query: str, filters: CrawlFilters) -> Iterator[Candidate]: ...


def _tag_list(value: Any, name: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValidationError(f"Filter {name} must be a list of tags or a string of tags separated by spaces.")
    return [normalise_tag(tag) for tag in value if tag.strip()]


def normalise_tag(tag: str) -> str:
    """Tags compared the Danbooru way: lower case, words joined by underscores."""
    return "_".join(tag.strip().lower().split())


FILTER_KEYS = ("min_width", "min_height", "max_images", "extra_tags", "exclude_tags", "ratings", "detect_faces")


@dataclass(frozen=True)
class CrawlFilters:
    """The crawl task's filters JSON, checked: every key is optional."""

    min_width: int = 0
    min_height: int = 0
    max_images: int | None = None
    extra_tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    ratings: tuple[str, ...] = ()  # empty: the CRAWL_RATINGS setting
    detect_faces: bool | None = None  # None: the source's default (photos yes, drawn art no)

    @classmethod
    def parse(cls, data: Any) -> CrawlFilters:
        """The filters from JSON; ValidationError naming every problem."""
        if data in (None, ""):
            return cls()
        if not isinstance(data, dict):
            raise ValidationError('Filters must be a JSON object such as {"min_width": 1200}.')
        problems = []
        unknown = sorted(set(data) - set(FILTER_KEYS))
        if unknown:
            problems.append(f"Unknown filter {', '.join(unknown)}; known: {', '.join(FILTER_KEYS)}.")
        numbers: dict[str, int | None] = {}
        for key in ("min_width", "min_height", "max_images"):
            value = data.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key == "max_images" else 0):
                least = " of at least 1" if key == "max_images" else ""
                problems.append(f"Filter {key} must be a whole number{least}.")
            else:
                numbers[key] = value
        tags: dict[str, list[str]] = {}
        for key in ("extra_tags", "exclude_tags", "ratings"):
            try:
                tags[key] = _tag_list(data.get(key), key)
            except ValidationError as exc:
                problems += exc.messages
        bad_ratings = sorted(set(tags.get("ratings", [])) - {"g", "s", "q", "e"})
        if bad_ratings:
            problems.append(f"Filter ratings takes Danbooru's letters g, s, q, e; not {', '.join(bad_ratings)}.")
        detect = data.get("detect_faces")
        if detect is not None and not isinstance(detect, bool):
            problems.append("Filter detect_faces must be true or false.")
        if problems:
            raise ValidationError(problems)
        return cls(
            min_width=numbers.get("min_width") or 0,
            min_height=numbers.get("min_height") or 0,
            max_images=numbers.get("max_images"),
            extra_tags=tuple(tags.get("extra_tags", [])),
            exclude_tags=tuple(tags.get("exclude_tags", [])),
            ratings=tuple(tags.get("ratings", [])),
            detect_faces=detect,
        )
