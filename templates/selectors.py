"""Reads for the public gallery: active templates with their pictures (and tags on the detail page), in a fixed
number of queries; a person's favourites."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from taggit.models import Tag, TaggedItem

from gallery.models import Category, Image

from .models import Favourite, Template

SORTS = {
    "popular": ("-popularity_score", "-created_at", "-id"),
    "newest": ("-created_at", "-id"),
}
DEFAULT_SORT = "popular"
# A search pages through at most this many matches (a word that common is better narrowed with another).
SEARCH_MATCH_LIMIT = 1000


def _with_picture(queryset: QuerySet[Template]) -> QuerySet[Template]:
    # One join for the picture: the page's query count does not depend on how many templates it shows.
    # The cards show no tags, so none are fetched (prefetching them cost 18 ms of a 42 ms gallery page:
    # taggit builds a queryset per template even when prefetched).
    return queryset.select_related("image")


def template_list_active(
    *, category: str | None = None, tag: str | None = None, search: str | None = None, sort: str = DEFAULT_SORT
) -> QuerySet[Template]:
    """Active templates for the gallery, filtered by category, tag (slug) and a search in title/artist/description."""
    templates = Template.objects.filter(is_active=True, owner__isnull=True)
    if category in Category.values:
        templates = templates.filter(category=category)
    if tag:
        # The tag's id first (a unique index), so the planner knows from its statistics how many pictures
        # carry it: a common tag is found walking the sort's index, a rare one through the tag's rows.
        tag_id = Tag.objects.filter(slug=tag).values_list("pk", flat=True).first()
        if tag_id is None:
            return _with_picture(templates.none())
        tagged = TaggedItem.objects.filter(content_type=ContentType.objects.get_for_model(Image), tag_id=tag_id)
        templates = templates.filter(image_id__in=tagged.values("object_id"))
    words = (search or "").split()
    if words:
        # Case-insensitive substring matches, which trigram GIN indexes serve on PostgreSQL (see the
        # migration). The matches are collected first, at most SEARCH_MATCH_LIMIT of them, and then sorted:
        # asked for the sorted page at once, the planner walks the sort's index hoping for early matches,
        # and a word nothing matches then reads the whole catalogue.
        matching = templates
        for word in words:
            matching = matching.filter(
                Q(title__icontains=word) | Q(artist__icontains=word) | Q(description__icontains=word)
            )
        ids = list(matching.order_by().values_list("pk", flat=True)[:SEARCH_MATCH_LIMIT])
        templates = Template.objects.filter(pk__in=ids)
    return _with_picture(templates.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])))


def template_get_active(*, pk: int) -> Template:
    """An active template with its picture and tags; 404 for unknown and inactive ones."""
    active = _with_picture(Template.objects.filter(is_active=True, owner__isnull=True)).prefetch_related("image__tags")
    return get_object_or_404(active, pk=pk)


def template_list_popular(*, limit: int = 8) -> list[Template]:
    """The most used active templates, for the home page."""
    return list(template_list_active(sort="popular")[:limit])


def favourite_template_ids(*, user) -> frozenset[int]:
    """The ids of the templates a person has marked with a heart (the hearts on every card)."""
    return frozenset(Favourite.objects.filter(user=user).values_list("template_id", flat=True))


def favourite_templates(*, user) -> QuerySet[Template]:
    """The user's favourite templates that are still offered, most recently marked first."""
    return _with_picture(Template.objects.filter(favourites__user=user, is_active=True)).order_by(
        "-favourites__created_at", "-id"
    )


def template_list_for_album(*, user) -> QuerySet[Template]:
    """What "Try on several templates" offers a person: their own templates with both faces chosen first,
    then the gallery's active ones (a held or unfinished own template is refused when submitted)."""
    own = Q(owner=user, removed_at__isnull=True, taken_down_at__isnull=True, face_count__gte=2)
    site = Q(is_active=True, owner__isnull=True)
    return _with_picture(Template.objects.filter(own | site)).order_by(
        F("owner").desc(nulls_last=True), "-popularity_score", "-id"
    )
