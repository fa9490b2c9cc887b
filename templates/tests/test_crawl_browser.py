"""The review queue and the three-click face marking in a real browser (Chromium via Playwright).

Screenshots go to the ignored artifacts/ folder: artifacts/crawl-review-queue.png (the queue after a
crawl), artifacts/crawl-three-click-marking.png (both faces of a drawn couple marked with three clicks
each) and artifacts/crawl-review-queue-ready.png (the same template back in the queue, ready).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_httpserver import HTTPServer

from templates import crawl_services
from templates.models import Review, Template
from testing import require_faces_dir
from testing.cast import PASSWORD
from testing.crawl_data import FakeBooru, couple_picture, encode

# The two girls of anime_two_girls_tadne.jpg scaled to 1024 px: eye on the left, eye on the right, mouth.
LEFT_GIRL = [(350, 342), (442, 328), (412, 392)]
RIGHT_GIRL = [(590, 290), (674, 280), (642, 340)]


@pytest.fixture
def crawled_queue(settings, curator):
    require_faces_dir()
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        settings.CRAWL_ALLOW_PRIVATE_NETWORKS = True
        settings.CRAWL_DELAY = 0
        booru = FakeBooru(server)
        settings.DANBOORU_URL = booru.url
        for n in (31, 32, 33):
            booru.add(n=n, characters="original", copyright="original", general="1girl 1boy couple outdoors")
        booru.add(
            encode(couple_picture((1024, 1024))),
            characters="kaname_madoka akemi_homura",
            general="2girls hug smile",
            artist="tadne",
        )
        crawl = crawl_services.crawl_create(source_type="danbooru", search_query="2girls")
        crawl_services.crawl_run(crawl_id=crawl.pk)
        yield Template.objects.get(artist="tadne")
    finally:
        server.clear()
        server.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_review_queue_and_three_click_marking(live_server, crawled_queue, browser, artifacts_dir):
    template = crawled_queue
    artifacts = artifacts_dir
    queue_url = live_server.url + reverse("admin:couple_templates_crawledtemplate_changelist")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/?next={queue_url}")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector(".tpl-review-preview img")
    page.wait_for_function("() => Array.from(document.images).every((img) => img.complete)")
    page.screenshot(path=str(artifacts / "crawl-review-queue.png"), full_page=True)
    badges = page.locator(".tpl-review-badge").all_text_contents()

    page.goto(live_server.url + reverse("admin:couple_templates_crawledtemplate_change", args=[template.pk]))
    stage = page.locator(".tpl-face-stage img")
    hints = []
    for points in (LEFT_GIRL, RIGHT_GIRL):
        page.click("[data-mark-three]")
        stage.scroll_into_view_if_needed()
        page.wait_for_timeout(400)  # the table row scrolled into view smoothly after the last face
        frame = stage.bounding_box()
        scale = frame["width"] / 1024
        for x, y in points:
            page.mouse.click(frame["x"] + x * scale, frame["y"] + y * scale)
        hints.append(page.text_content("[data-hint]"))
    fields = {
        prefix: {name: page.input_value(f"#id_{prefix}_{name}") for name in ("role", "x1", "y1", "x2", "y2", "kps")}
        for prefix in ("new", "new2")
    }
    page.locator(".tpl-face-stage").screenshot(path=str(artifacts / "crawl-three-click-marking.png"))
    page.click("input[name=_save]")
    page.wait_for_selector(".tpl-review-preview img")
    page.wait_for_function("() => Array.from(document.images).every((img) => img.complete)")
    page.goto(queue_url + "?review=ready")
    page.wait_for_function("() => Array.from(document.images).every((img) => img.complete)")
    page.screenshot(path=str(artifacts / "crawl-review-queue-ready.png"), full_page=True)
    ready_titles = page.locator(".tpl-review-summary strong").all_text_contents()

    assert sorted(badges) == ["needs faces"] * 4  # drawn art: nothing detected, waiting for marking
    assert hints[0].startswith("Face 1 is marked. Mark the other face the same way")
    assert hints[1].startswith("Face 2 is marked. Check or choose its role")
    # Husband on the left, wife on the right, as for detected faces.
    assert (fields["new"]["role"], fields["new2"]["role"]) == ("husband", "wife")
    template.refresh_from_db()
    assert template.review_label == "ready" and template.face_count == 2
    for face, clicks in zip(template.face_positions, (LEFT_GIRL, RIGHT_GIRL), strict=True):
        (left_eye, right_eye, mouth), (x1, y1, x2, y2) = clicks, face["box"]
        # The eyes are where they were clicked; the box holds the eyes and the mouth.
        assert face["kps"][0] == pytest.approx(list(left_eye), abs=3)
        assert face["kps"][1] == pytest.approx(list(right_eye), abs=3)
        assert x1 < left_eye[0] < right_eye[0] < x2 and y1 < min(left_eye[1], right_eye[1]) and mouth[1] < y2
        nose, mouth_left, mouth_right = face["kps"][2:]
        assert mouth_left[0] < mouth[0] < mouth_right[0]
        assert min(left_eye[1], right_eye[1]) < nose[1] < mouth[1] + 3
        assert face["source"] == "manual"
    assert ready_titles == [template.title]
    assert template.review == Review.WAITING and not template.is_active  # the curator still decides
