"""The admin side of crawling: crawl tasks (add, run, cancel) and the review queue (reject, approve, take down)."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from templates import crawl_services
from templates.models import CrawlTask, Review, Template
from testing.cast import COUPLE, make_template

pytestmark = pytest.mark.django_db

QUEUE = "admin:couple_templates_crawledtemplate_changelist"
TASKS = "admin:couple_templates_crawltask_changelist"


@pytest.fixture(autouse=True)
def _logged_in_curator(client, curator):
    client.force_login(curator)


def crawled(
    title: str, *, faces=None, review: str = Review.WAITING, crawl: CrawlTask | None = None, **fields
) -> Template:
    crawl = crawl or CrawlTask.objects.create(source_type="danbooru", search_query="2girls")
    return make_template(
        title=title, faces=[] if faces is None else faces, is_active=False, review=review, crawl_task=crawl, **fields
    )


def act(client, url_name: str, action: str, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects], **extra}
    return client.post(reverse(url_name), data, follow=True)


def test_the_queue_shows_waiting_crawled_templates_newest_first_with_their_status(client, curator):
    make_template(title="Added by hand", is_active=False)
    older = crawled("Older drawing")
    newer = crawled("Newer couple", faces=[dict(f) for f in COUPLE])
    crawled("Turned down", review=Review.REJECTED)

    page = client.get(reverse(QUEUE)).text

    assert "Added by hand" not in page and "Turned down" not in page
    assert page.index("Newer couple") < page.index("Older drawing")
    assert '<span class="tpl-review-badge is-ready"' in page and '<span class="tpl-review-badge is-needs-faces"' in page
    assert newer.image.get_thumbnail_url() in page and 'width="260"' in page
    assert "tpl-review-marker is-husband" in page  # the couple's boxes drawn over the preview
    assert "Turned down" in client.get(reverse(QUEUE) + "?review=rejected").text
    ready = client.get(reverse(QUEUE) + "?review=ready").text
    assert "Newer couple" in ready and "Older drawing" not in ready
    needs = client.get(reverse(QUEUE) + "?review=needs_faces").text
    assert "Older drawing" in needs and "Newer couple" not in needs
    assert client.get(reverse("admin:couple_templates_crawledtemplate_change", args=[older.pk])).status_code == 200


def test_bulk_reject(client, curator):
    first, second, kept = crawled("One"), crawled("Two"), crawled("Three")
    response = act(client, QUEUE, "reject_templates", [first, second])
    assert "Rejected 2 templates" in response.text
    assert {t.review for t in Template.objects.filter(pk__in=[first.pk, second.pk])} == {Review.REJECTED}
    assert Template.objects.get(pk=kept.pk).review == Review.WAITING
    assert "One" not in client.get(reverse(QUEUE)).text


def test_approve_activates_ready_templates_and_says_why_not_for_the_others(client, curator):
    ready = crawled(
        "Ready couple",
        faces=[dict(f) for f in COUPLE],
        artist="tadne",
        source_url="https://danbooru.donmai.us/posts/1",
    )
    unmarked = crawled("No faces yet")
    response = act(client, QUEUE, "approve_templates", [ready, unmarked])
    assert "Approved and activated 1 template." in response.text
    assert "Not approved: “No faces yet”: No faces are marked" in response.text
    ready.refresh_from_db()
    assert ready.is_active and ready.review == Review.APPROVED
    assert not Template.objects.get(pk=unmarked.pk).is_active
    # In the gallery now, with its attribution.
    page = client.get(reverse("couple_templates:detail", args=[ready.pk])).text
    assert "by <strong>tadne</strong>" in page and 'href="https://danbooru.donmai.us/posts/1"' in page


def test_takedown_asks_why_then_archives_and_records_it(client, curator):
    live = make_template(title="Live one")
    response = act(client, "admin:couple_templates_template_changelist", "take_down", [live])
    assert "Why are they taken down?" in response.text and "Live one" in response.text
    assert Template.objects.get(pk=live.pk).is_active  # nothing happens before the reason is given

    response = act(client, "admin:couple_templates_template_changelist", "take_down", [live], apply="1", reason=" ")
    assert "This field is required." in response.text
    response = act(
        client,
        "admin:couple_templates_template_changelist",
        "take_down",
        [live],
        apply="1",
        reason="The artist asked us to remove it.",
    )
    assert "Took down 1 template." in response.text
    live.refresh_from_db()
    assert live.is_active is False and live.taken_down_at is not None
    assert live.takedown_reason == "The artist asked us to remove it."
    assert live.activation_problems()[0] == "It was taken down: The artist asked us to remove it.."
    assert client.get(reverse("couple_templates:detail", args=[live.pk])).status_code == 404


def test_crawl_tasks_are_added_run_and_cancelled_from_the_admin(client, curator, django_capture_on_commit_callbacks):
    import django_rq

    add = reverse("admin:couple_templates_crawltask_add")
    response = client.post(add, {"source_type": "danbooru", "search_query": "2girls", "filters": '{"ratings": ["x"]}'})
    assert "Filter ratings takes Danbooru&#x27;s letters g, s, q, e; not x." in response.text
    response = client.post(
        add,
        {"source_type": "danbooru", "search_query": "2girls", "filters": '{"min_width": 1200}', "limit": "10"},
        follow=True,
    )
    assert "Press “Save and run crawl” to start collecting." in response.text
    task = CrawlTask.objects.get()
    assert (task.filters, task.limit, task.status) == ({"min_width": 1200}, 10, "pending")

    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, TASKS, "run_crawl", [task])
    assert f"Crawl #{task.pk} queued on the crawl queue." in response.text
    assert crawl_services.CRAWL_JOBS.job_id(task.pk) in django_rq.get_queue("crawl").job_ids

    response = act(client, TASKS, "cancel_crawl", [task])
    assert f"Crawl #{task.pk} cancelled" in response.text
    assert CrawlTask.objects.get().status == "cancelled"
    assert crawl_services.CRAWL_JOBS.job_id(task.pk) not in django_rq.get_queue("crawl").job_ids
    change = client.get(reverse("admin:couple_templates_crawltask_change", args=[task.pk])).text
    assert "Cancelled by a curator." in change and f"?review=all&amp;crawl={task.pk}" in change

    # A finished crawl runs again from the start (its earlier pictures are then skipped as duplicates).
    with django_capture_on_commit_callbacks(execute=True):
        act(client, TASKS, "run_crawl", [task])
    assert CrawlTask.objects.get().status == "pending"
    assert crawl_services.CRAWL_JOBS.job_id(task.pk) in django_rq.get_queue("crawl").job_ids


def test_two_faces_marked_by_hand_are_saved_in_one_go(client, curator):
    template = crawled("Drawn couple")
    url = reverse("admin:couple_templates_crawledtemplate_change", args=[template.pk])
    page = client.get(url).text
    assert "Mark a face: 3 clicks" in page and 'id="id_new2_role"' in page
    data = {
        "title": "Drawn couple",
        "category": "acg",
        "faces_seen": "0",
        "new_role": "husband",
        "new_x1": "20", "new_y1": "30", "new_x2": "120", "new_y2": "140",
        "new_kps": "50,70 90,70 70,95 55,115 85,115",
        "new2_role": "wife",
        "new2_x1": "180", "new2_y1": "40", "new2_x2": "290", "new2_y2": "150",
        "new2_kps": "210,80 260,80 235,105 220,125 250,125",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.text[:3000]
    template.refresh_from_db()
    assert template.face_count == 2 and template.roles_complete and template.review_label == "ready"
    assert {face["source"] for face in template.face_positions} == {"manual"}
