"""The tag chips' counts (TagCount), kept up to date as templates and their tags change.

A change recounts only the tags it touches (the tags of a saved template's picture, or the tag added to or
removed from a picture), at once and again when its transaction commits; each recount is absolute, so two
running at once cannot drift, and `tag_counts_refresh()` with no tags rebuilds the whole table (the bench's
bulk load and `manage.py refresh_tag_counts` use it).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count
from taggit.models import Tag, TaggedItem

from gallery.models import Image

from .models import TagCount


def _image_items():
    return TaggedItem.objects.filter(content_type=ContentType.objects.get_for_model(Image))


def tag_counts_refresh(*, tag_ids: Iterable[int] | None = None) -> None:
    """Recount the given tags (every tag when None) over the pictures of active templates."""
    public = Image.objects.filter(template__is_active=True, template__owner__isnull=True)
    items = _image_items().filter(object_id__in=public.values("pk"))
    if tag_ids is not None:
        tag_ids = set(tag_ids)
        if not tag_ids:
            return
        items = items.filter(tag_id__in=tag_ids)
    counts = dict(items.order_by().values("tag_id").annotate(n=Count("id")).values_list("tag_id", "n"))
    tags = Tag.objects.filter(pk__in=list(counts)).values_list("pk", "name", "slug")
    rows = [TagCount(tag_id=pk, name=name, slug=slug, template_count=counts[pk]) for pk, name, slug in tags]
    with transaction.atomic():
        stale = TagCount.objects.exclude(tag_id__in=list(counts))
        (stale if tag_ids is None else stale.filter(tag_id__in=tag_ids)).delete()
        TagCount.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["tag"],
            update_fields=["name", "slug", "template_count"],
        )


def _refresh_on_commit(tag_ids: set[int] | None) -> None:
    # Now, so the change's own transaction reads its counts; again after the commit, so a change committed
    # meanwhile by another transaction (which this one could not see) is counted too.
    tag_counts_refresh(tag_ids=tag_ids)
    transaction.on_commit(lambda: tag_counts_refresh(tag_ids=tag_ids))


def template_changed(*, instance, **kwargs) -> None:
    """Signal receiver (a template saved or deleted): recount its picture's tags."""
    if instance.image_id is not None:
        tag_ids = set(_image_items().filter(object_id=instance.image_id).values_list("tag_id", flat=True))
        if tag_ids:
            _refresh_on_commit(tag_ids)


def tagged_item_changed(*, instance, **kwargs) -> None:
    """Signal receiver (one tag put on or taken off a picture): recount that tag.

    taggit's add, remove and clear save or delete one TaggedItem per tag, so this sees all of them."""
    _refresh_on_commit({instance.tag_id})
