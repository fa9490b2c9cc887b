"""The gallery's seek pagination and its maintained tag counts."""

from __future__ import annotations

import itertools
import random
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from templates.catalogue import COUNT_LIMIT, PAGE_SIZE, AtLeast, count_active
from templates.models import TagCount, Template
from templates.selectors import template_list_active
from templates.services import template_archive, template_set_tags
from testing.cast import make_template, user_create

pytestmark = pytest.mark.django_db
GALLERY = reverse("couple_templates:list")


def card_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'class="tpl-card-link" href="/templates/(\d+)/"', response.text)]


def next_after(response) -> str | None:
    found = re.search(r'rel="next" href="\?[^"]*after=(\d+)"', response.text)
    return found.group(1) if found else None


@pytest.mark.parametrize("sort", ["popular", "newest"])
def test_walking_the_pages_while_templates_are_added_shows_each_template_once(client, sort):
    """Every template there at the start is seen exactly once, in order, whatever is added meanwhile (an
    OFFSET page would shift: a template added in front pushes one from page 1 to page 2, seen twice)."""
    rng = random.Random(7)
    now = timezone.now()
    for i in range(3 * PAGE_SIZE + 5):
        # Ties on popularity and on creation time, so the order's last column (the id) matters too.
        make_template(
            title=f"T{i}", popularity_score=rng.choice([0, 1, 5]), created_at=now - timedelta(minutes=rng.randrange(9))
        )
    expected = list(template_list_active(sort=sort).values_list("pk", flat=True))
    params = {} if sort == "popular" else {"sort": "newest"}
    seen, after = [], None
    while True:
        response = client.get(GALLERY, {**params, **({"after": after} if after else {})})
        seen += card_ids(response)
        # Templates that sort first (newest, most used) are added while the visitor reads.
        make_template(title=f"New {len(seen)}", popularity_score=9, created_at=timezone.now() + timedelta(days=1))
        after = next_after(response)
        if after is None:
            break
    assert len(seen) == len(set(seen)), "a template was shown twice"
    assert seen == expected, "a template was skipped or the order changed"


def test_previous_pages_mirror_next_pages(client):
    for i in range(2 * PAGE_SIZE + 3):
        make_template(title=f"T{i}", popularity_score=i % 4)
    pages = [client.get(GALLERY)]
    while (after := next_after(pages[-1])) is not None:
        pages.append(client.get(GALLERY, {"after": after}))
    assert [len(card_ids(page)) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 3]
    for earlier, later in itertools.pairwise(pages):
        before = re.search(r'rel="prev" href="\?[^"]*before=(\d+)"', later.text).group(1)
        assert card_ids(client.get(GALLERY, {"before": before})) == card_ids(earlier)


def test_the_count_stops_at_its_bound(monkeypatch):
    for i in range(5):
        make_template(title=f"T{i}")
    assert count_active(template_list_active(), key="all") == 5
    monkeypatch.setattr("templates.catalogue.COUNT_LIMIT", 3)
    counted = count_active(template_list_active(), key="bounded")
    assert isinstance(counted, AtLeast) and counted == 3 and str(counted) == "3+"
    assert COUNT_LIMIT >= 10_000


def test_tag_counts_follow_activation_archiving_and_tag_changes():
    def counts():
        return dict(TagCount.objects.filter(template_count__gt=0).values_list("slug", "template_count"))

    one = make_template(title="One", tags=("beach", "summer"))
    two = make_template(title="Two", tags=("beach",))
    make_template(title="Hidden", tags=("beach", "secret"), is_active=False)
    # A person's own template is private: its tags are no chips for anyone.
    make_template(title="Mine", tags=("beach", "private"), owner=user_create(username="owner"))
    assert counts() == {"beach": 2, "summer": 1}
    template_archive(template=two)
    assert counts() == {"beach": 1, "summer": 1}
    template_set_tags(template=one, tags=["summer", "sunset"])
    assert counts() == {"summer": 1, "sunset": 1}
    Template.objects.filter(pk=one.pk).first().delete()
    assert counts() == {}
