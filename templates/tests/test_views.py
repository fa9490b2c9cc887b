import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from templates.models import Template
from templates.views import PAGE_SIZE
from testing.cast import face, make_template

pytestmark = pytest.mark.django_db
GALLERY = reverse("couple_templates:list")


def titles(response) -> list[str]:
    return re.findall(r'<span class="tpl-card-title">([^<]*)</span>', response.text)


def test_the_gallery_shows_only_active_templates_without_login(client):
    make_template(title="Moonlit balcony")
    make_template(title="Hidden draft", is_active=False)
    response = client.get(GALLERY)
    assert response.status_code == 200
    assert titles(response) == ["Moonlit balcony"]
    assert "1 template" in response.text


def test_filter_by_category(client):
    make_template(title="Anime wedding", category="acg")
    make_template(title="Film kiss", category="movie")
    response = client.get(GALLERY, {"category": "movie"})
    assert titles(response) == ["Film kiss"]
    assert "1 template matches" in response.text and "in Movies" in response.text
    # An unknown category is ignored rather than showing an empty page.
    assert sorted(titles(client.get(GALLERY, {"category": "cartoons"}))) == ["Anime wedding", "Film kiss"]


def test_filter_by_tag_and_the_tag_chips(client):
    make_template(title="Beach walk", tags=("beach", "summer"))
    make_template(title="Snow day", tags=("winter",))
    make_template(title="Secret beach", tags=("beach",), is_active=False)
    response = client.get(GALLERY, {"tag": "beach"})
    assert titles(response) == ["Beach walk"]
    page = client.get(GALLERY).text
    # Tags of active templates only, most used first.
    chips = re.findall(r'class="chip chip-tag[^"]*" href="[^"]*">#(\w+)', page)
    assert sorted(chips) == ["beach", "summer", "winter"]


def test_search_in_title_artist_and_description(client):
    make_template(title="Rooftop dance", artist="Aiko Tanaka")
    make_template(title="Station goodbye", description="A rainy farewell on the platform")
    make_template(title="Picnic")
    assert titles(client.get(GALLERY, {"q": "rooftop"})) == ["Rooftop dance"]
    assert titles(client.get(GALLERY, {"q": "tanaka"})) == ["Rooftop dance"]
    assert titles(client.get(GALLERY, {"q": "RAINY platform"})) == ["Station goodbye"]
    response = client.get(GALLERY, {"q": "volcano"})
    assert titles(response) == []
    assert "No templates match" in response.text


def test_sort_by_popularity_then_newest(client):
    now = timezone.now()
    make_template(title="Old favourite", popularity_score=50, created_at=now - timedelta(days=30))
    make_template(title="Brand new", popularity_score=0, created_at=now)
    make_template(title="Rising", popularity_score=10, created_at=now - timedelta(days=1))
    assert titles(client.get(GALLERY)) == ["Old favourite", "Rising", "Brand new"]
    assert titles(client.get(GALLERY, {"sort": "newest"})) == ["Brand new", "Rising", "Old favourite"]


def test_pagination_keeps_the_filters(client):
    now = timezone.now()
    for i in range(PAGE_SIZE + 3):
        make_template(title=f"Scene {i:02d}", category="tv", created_at=now - timedelta(minutes=i))
    make_template(title="Not TV", category="acg")
    first = client.get(GALLERY, {"category": "tv", "sort": "newest"})
    assert len(titles(first)) == PAGE_SIZE
    last_on_first = Template.objects.get(title=f"Scene {PAGE_SIZE - 1:02d}")
    assert f'href="?category=tv&amp;sort=newest&amp;after={last_on_first.pk}"' in first.text
    second = client.get(GALLERY, {"category": "tv", "sort": "newest", "after": last_on_first.pk})
    assert titles(second) == ["Scene 24", "Scene 25", "Scene 26"]
    assert 'rel="next"' not in second.text
    # Previous leads back to the same first page.
    first_on_second = Template.objects.get(title="Scene 24")
    assert f'href="?category=tv&amp;sort=newest&amp;before={first_on_second.pk}"' in second.text
    back = client.get(GALLERY, {"category": "tv", "sort": "newest", "before": first_on_second.pk})
    assert titles(back) == titles(first) and 'rel="prev"' not in back.text
    # A position that is no template, or the old page numbers, show the first page rather than an error.
    assert titles(client.get(GALLERY, {"category": "tv", "sort": "newest", "after": 10**9})) == titles(first)
    assert titles(client.get(GALLERY, {"category": "tv", "sort": "newest", "page": 99})) == titles(first)


def test_the_number_of_queries_does_not_grow_with_the_templates_on_the_page(client, django_assert_num_queries):
    for i in range(5):
        make_template(title=f"T{i}", tags=("tag-a", f"tag-{i}"))
    with django_assert_num_queries(3):
        response = client.get(GALLERY)
    assert len(titles(response)) == 5
    for i in range(5, 50):
        make_template(title=f"T{i}", tags=("tag-a", f"tag-{i}"))
    # 50 templates: two pages of 24, the first one full.
    with django_assert_num_queries(3):
        response = client.get(GALLERY)
    assert len(titles(response)) == PAGE_SIZE


def test_the_detail_page_shows_the_template_and_leads_to_the_swap_form(client):
    template = make_template(
        title="Lantern festival",
        artist="Mei",
        source_url="https://example.com/lanterns",
        description="Two people under paper lanterns.",
        tags=("festival",),
        faces=[face(40, 60, 120, 140, role="husband"), face(200, 70, 270, 140, role="wife")],
    )
    detail = reverse("couple_templates:detail", args=[template.pk])
    response = client.get(detail)
    assert response.status_code == 200
    text = response.text
    assert "<h1>Lantern festival</h1>" in text
    assert "by <strong>Mei</strong>" in text and 'href="https://example.com/lanterns"' in text
    assert "Two people under paper lanterns." in text
    assert "#festival" in text
    # The label is one of the parts filled in per person on the shared page (inside its marker comments).
    link = re.search(rf'href="/swaps/new/{template.pk}/">(.*?)</a>', text).group(1)
    assert re.sub(r"<!--.*?-->", "", link) == "Log in or sign up to use this template"
    # Markers show where the husband's and the wife's faces go (percentages of the 320x240 picture).
    assert 'class="tpl-role-marker tpl-role-husband" style="left: 12.5%; top: 25.0%;' in text
    assert "tpl-role-wife" in text


def test_inactive_and_unknown_templates_answer_404(client):
    hidden = make_template(is_active=False)
    assert client.get(reverse("couple_templates:detail", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("couple_templates:detail", args=[hidden.pk + 100])).status_code == 404


def test_home_page_links_the_gallery_and_shows_popular_templates(client):
    make_template(title="Crowd pleaser", popularity_score=99)
    make_template(title="Archived hit", popularity_score=500, is_active=False)
    response = client.get("/")
    assert f'href="{GALLERY}"' in response.text
    assert "Popular scenes" in response.text
    assert titles(response) == ["Crowd pleaser"]


def test_nav_links_the_gallery(client):
    assert f'<a href="{GALLERY}">Templates</a>' in client.get("/").text
    assert f'<a href="{GALLERY}">Templates</a>' in client.get(GALLERY).text


def test_card_thumbnails_come_from_the_image_service(client):
    template = make_template(title="Thumb")
    response = client.get(GALLERY)
    assert f'src="{template.image.get_thumbnail_url()}"' in response.text
    assert Template.objects.get(pk=template.pk).image.get_thumbnail_url()
