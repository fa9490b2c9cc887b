"""The gallery's pages at any size of catalogue: keyset ("seek") pagination, a bounded cached count, tag chips
from a maintained table, search through indexes.

An OFFSET page makes the database walk every row before it, so page 2,000 costs 2,000 pages; a seek page
starts right after the last template of the page before (its sort key read by primary key) and reads 25
rows from an index whatever its depth. The links therefore carry a template id (`after`, `before`), never
a page number: a position is a template, and the set of positions is bounded by the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from .cache import pages_version
from .models import TagCount, Template

PAGE_SIZE = 24
# The columns each sort orders by, all descending; the last is the primary key, so the order is total.
# Each has a partial index on active templates in the same order (Template.Meta.indexes).
SORT_KEYS = {"popular": ("popularity_score", "created_at", "id"), "newest": ("created_at", "id")}
# Counting stops here: a catalogue larger than this shows "10000+" (counting 100,000 rows on a cache miss
# costs tens of milliseconds; counting to this bound costs a few).
COUNT_LIMIT = 10_000
COUNT_TIMEOUT_SECONDS = 300


class AtLeast(int):
    """A count that reached its bound: it prints as "10000+" and still pluralises as a number."""

    def __str__(self) -> str:
        return f"{int(self)}+"


@dataclass
class Paginator:
    count: int
    num_pages = None


@dataclass
class GalleryPage:
    """One page of the gallery: its templates and the ids its Previous and Next links start from."""

    object_list: list[Template]
    after: int | None  # Next: the templates after this one
    before: int | None  # Previous: the templates before this one
    paginator: Paginator
    is_first: bool
    anchored: bool  # the position asked for was a template

    @property
    def has_next(self) -> bool:
        return self.after is not None

    @property
    def has_previous(self) -> bool:
        return self.before is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _seek(templates: QuerySet[Template], keys: tuple[str, ...], values: tuple, *, forward: bool) -> QuerySet:
    """Templates strictly after (forward) or before the row whose sort key is `values`.

    A row comparison, which PostgreSQL and SQLite both answer from an index in the same column order
    (the equivalent OR of comparisons is not: the planner then reads and sorts every match).
    """
    table = Template._meta.db_table
    columns = ", ".join(f'"{table}"."{key}"' for key in keys)
    marks = ", ".join(["%s"] * len(keys))
    comparison = "<" if forward else ">"
    # Raw parameters skip the fields' conversion (SQLite keeps datetimes as naive UTC text): do it here.
    values = [
        Template._meta.get_field(key).get_db_prep_value(value, connection)
        for key, value in zip(keys, values, strict=True)
    ]
    condition = RawSQL(f"({columns}) {comparison} ({marks})", values, output_field=BooleanField())
    return templates.filter(condition)


def gallery_page(
    templates: QuerySet[Template], *, sort: str, after: int | None = None, before: int | None = None
) -> GalleryPage:
    """The page of `templates` (filtered, not yet ordered) starting after `after` or ending before `before`.

    An id that is not a template gives the first page.
    """
    keys = SORT_KEYS[sort]
    descending = [f"-{key}" for key in keys]
    ascending = list(keys)
    anchor_id = after or before
    anchor = Template.objects.filter(pk=anchor_id).values_list(*keys).first() if anchor_id else None
    if anchor is None or None in anchor:
        rows = list(templates.order_by(*descending)[: PAGE_SIZE + 1])
        first = True
        more_after, more_before = len(rows) > PAGE_SIZE, False
        rows = rows[:PAGE_SIZE]
    elif after:
        rows = list(_seek(templates, keys, anchor, forward=True).order_by(*descending)[: PAGE_SIZE + 1])
        first = False
        more_after, more_before = len(rows) > PAGE_SIZE, True
        rows = rows[:PAGE_SIZE]
    else:
        rows = list(_seek(templates, keys, anchor, forward=False).order_by(*ascending)[: PAGE_SIZE + 1])
        more_after, more_before = True, len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        first = not more_before
    return GalleryPage(
        object_list=rows,
        after=rows[-1].pk if rows and more_after else None,
        before=rows[0].pk if rows and more_before else None,
        paginator=Paginator(count=0),
        is_first=first,
        anchored=anchor is not None,
    )


def count_active(templates: QuerySet[Template], *, key: str, tag: str = "") -> int:
    """How many templates `templates` holds, up to COUNT_LIMIT (then an AtLeast), kept per pages version.

    `key` names the filters (the normalised query without the position); when they are just `tag`, its
    maintained count is the answer.
    """
    if tag and key == urlencode({"tag": tag}):
        return TagCount.objects.filter(slug=tag).values_list("template_count", flat=True).first() or 0
    cache_key = f"templates:count:{pages_version()}:{key}"
    found = cache.get(cache_key)
    if found is None:
        counted = templates.order_by().values("pk")[: COUNT_LIMIT + 1].count()
        found = counted if counted <= COUNT_LIMIT else -COUNT_LIMIT
        cache.set(cache_key, found, COUNT_TIMEOUT_SECONDS)
    return AtLeast(-found) if found < 0 else found


def tags_in_use(*, limit: int = 30) -> list[TagCount]:
    """The tags on most active templates (name, slug, template_count), from the maintained counts."""
    return list(TagCount.objects.filter(template_count__gt=0).order_by("-template_count", "name")[:limit])


def tag_known(slug: str) -> bool:
    """Whether any active template carries this tag (a page for any other tag is not kept in the cache)."""
    return TagCount.objects.filter(slug=slug, template_count__gt=0).exists()
