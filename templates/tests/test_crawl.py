"""Crawls against a real HTTP server on 127.0.0.1 serving Danbooru-shaped JSON and pictures made from the
shared test photos (see testing.crawl_data.FakeBooru)."""

from __future__ import annotations

import io
import itertools
import json
import re
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from PIL import Image as PILImage
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from templates import crawl_services
from templates.crawlers.http import address_refusal
from templates.models import CrawlTask, Review, Template
from testing import require_faces_dir
from testing.crawl_data import FakeBooru, couple_picture, encode, mosaic

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def crawl_settings(settings):
    settings.CRAWL_ALLOW_PRIVATE_NETWORKS = True
    settings.CRAWL_DELAY = 0
    settings.CRAWL_BACKOFF = 0.01
    settings.CRAWL_RETRIES = 2
    settings.CRAWL_READ_TIMEOUT = 5
    settings.CRAWL_MIN_SHORT_SIDE = 800
    settings.PIXIV_REFRESH_TOKEN = ""
    return settings


@pytest.fixture
def booru(server, crawl_settings):
    require_faces_dir()
    booru = FakeBooru(server)
    crawl_settings.DANBOORU_URL = booru.url
    return booru


def crawl(source: str = "danbooru", query: str = "2girls", filters: dict | None = None, limit: int | None = None):
    """Create and run a crawl here; its task (refreshed) and the lines it printed."""
    lines: list[str] = []
    task = crawl_services.crawl_create(source_type=source, search_query=query, filters=filters, limit=limit)
    task = crawl_services.crawl_run(crawl_id=task.pk, echo=lines.append)
    return task, lines


def outcome_lines(lines: list[str]) -> list[str]:
    words = ("created", "skipped", "refused")
    return [line for line in lines if line.startswith(words)]


def test_happy_path_makes_inactive_templates_with_artist_source_and_tags(booru):
    first = booru.add(artist="sasaki_kojirou", characters="akemi_homura kaname_madoka")
    booru.add(general="2girls holding_hands", characters="hatsune_miku", copyright="vocaloid", artist="")

    task, lines = crawl()

    assert task.status == CrawlTask.Status.COMPLETED, task.error_message
    assert task.images_collected == 2
    assert task.report["created"] == 2 and task.started_at and task.completed_at
    templates = list(Template.objects.order_by("id"))
    assert len(templates) == 2
    madoka = templates[0]
    assert madoka.is_active is False
    assert madoka.review == Review.WAITING and madoka.crawl_task == task
    assert madoka.review_label == "needs faces"  # drawn art: left for marking, not detected
    assert madoka.face_count == 0
    assert madoka.category == "acg" and madoka.image.category == "acg"
    assert madoka.title == "akemi homura & kaname madoka (mahou shoujo madoka magica)"
    assert madoka.artist == "sasaki kojirou"
    assert madoka.source_url == f"{booru.url}/posts/{first['id']}"
    assert {"akemi_homura", "mahou_shoujo_madoka_magica", "2girls", "smile"} <= set(madoka.image.tags.names())
    assert madoka.image.metadata["source_md5"] == first["md5"]
    assert len(madoka.image.metadata["phash"]) == 16
    assert templates[1].artist is None and templates[1].title == "hatsune miku (vocaloid)"
    assert outcome_lines(lines)[0].startswith("created")
    assert lines[-1].startswith("2 created, 0 skipped duplicate, 0 skipped near-duplicate, 0 refused")
    # Only the rating asked for is searched, and the general rating is the default.
    assert booru.searches[0]["tags"] == "2girls rating:g"


def test_pages_are_followed_until_an_empty_one(booru):
    booru.per_page = 2
    for _ in range(5):
        booru.add()

    task, _ = crawl()

    assert task.images_collected == 5
    assert [search["page"] for search in booru.searches] == ["1", "2", "3", "4"]


def test_the_limit_stops_the_crawl(booru):
    for _ in range(4):
        booru.add()
    task, lines = crawl(limit=3)
    assert task.images_collected == 3
    assert "reached the limit of 3 new templates" in lines


def test_duplicates_and_near_duplicates_are_skipped_and_a_second_run_adds_nothing(booru):
    original = booru.add(n=7)
    same_bytes = booru.files[original["file_url"].split(booru.url, 1)[1]]
    booru.add(same_bytes, md5=False)  # the same file, the source gives no checksum
    same_md5 = booru.add(same_bytes)  # the same checksum: known before downloading
    smaller = mosaic(7).resize((1080, 810), PILImage.Resampling.LANCZOS)
    booru.add(encode(smaller, quality=70))  # resized and re-encoded: a near-duplicate
    booru.add(n=8)

    task, lines = crawl()

    assert task.images_collected == 2
    outcomes = outcome_lines(lines)
    kept = Template.objects.get(source_url=f"{booru.url}/posts/{original['id']}")
    assert outcomes[1].startswith("skipped duplicate") and f"template #{kept.pk}" in outcomes[1]
    assert outcomes[2].startswith("skipped duplicate")
    assert outcomes[3].startswith("skipped near-duplicate") and f"template #{kept.pk}" in outcomes[3]
    assert task.report["duplicate"] == 2 and task.report["near_duplicate"] == 1
    downloaded = [path for _, path in booru.requests if path.startswith("/data/")]
    assert same_md5["file_url"].split(booru.url, 1)[1] not in downloaded  # no download for a known md5

    again, lines = crawl()
    assert again.images_collected == 0
    assert Template.objects.count() == 2
    assert all(line.startswith("skipped") for line in outcome_lines(lines))


def test_rating_and_blocked_tags_are_filtered_without_downloading(booru):
    racy = booru.add(rating="q")
    blocked = booru.add(general="1girl loli smile")
    booru.add()

    task, lines = crawl(filters={"ratings": ["g", "s"]})

    assert task.images_collected == 1
    outcomes = outcome_lines(lines)
    assert outcomes[0].startswith("refused") and "rating q is not allowed" in outcomes[0]
    assert outcomes[1].startswith("refused") and "blocked tag loli" in outcomes[1]
    downloaded = {path for _, path in booru.requests}
    for post in (racy, blocked):
        assert post["file_url"].split(booru.url, 1)[1] not in downloaded
    # Two ratings allowed: none is added to the search, the rule filters.
    assert booru.searches[0]["tags"] == "2girls"


def test_small_pictures_are_refused(booru):
    booru.add(encode(couple_picture((700, 700))))
    booru.add(encode(couple_picture((1000, 1000))), size=(0, 0))  # the source does not say its size
    task, lines = crawl(filters={"min_width": 1200})
    assert task.images_collected == 0
    outcomes = outcome_lines(lines)
    assert "700x700 is too small: the short side must be at least 800 px" in outcomes[0]
    assert "1000x1000 is smaller than the filters' 1200x0" in outcomes[1]


def test_an_oversized_file_is_refused_while_streaming(booru, server, crawl_settings):
    crawl_settings.CRAWL_MAX_BYTES = 100_000
    big = encode(mosaic(3), quality=95)
    assert len(big) > 300_000
    sent = {"bytes": 0}

    def chunked(request: Request) -> Response:
        def body():
            for start in range(0, len(big), 16_384):
                sent["bytes"] += 16_384
                yield big[start : start + 16_384]

        # No Content-Length: the cap must hold while the bytes arrive.
        return Response(body(), content_type="image/jpeg")

    server.expect_request("/big/chunked.jpg").respond_with_handler(chunked)
    booru.add(big, path="/big/chunked.jpg")
    booru.add(big, path="/data/declared.jpg", md5=False)  # Content-Length says it at once

    task, lines = crawl()

    outcomes = outcome_lines(lines)
    assert "larger than the limit of 0.1 MB (stopped reading)" in outcomes[0]
    assert "the file is 0.3 MB, over the limit of 0.1 MB" in outcomes[1] or "0.4 MB" in outcomes[1]
    assert task.images_collected == 0 and Template.objects.count() == 0
    assert task.report["refused"] == 2


def test_html_served_as_a_picture_is_refused(booru):
    booru.add(b"<!DOCTYPE html><html><body>Access denied</body></html>", size=(1000, 1000))
    task, lines = crawl()
    assert task.images_collected == 0
    assert "This is a web page, not a picture." in outcome_lines(lines)[0]


def test_a_server_error_is_retried(booru, server):
    data = encode(mosaic(11))
    answers = iter([Response("busy", status=500), Response(data, content_type="image/jpeg")])
    server.expect_request("/flaky.jpg").respond_with_handler(lambda request: next(answers))
    booru.add(data, path="/flaky.jpg")

    task, lines = crawl()

    assert task.images_collected == 1, lines
    assert next(answers, None) is None  # both answers were used: one failure, one retry


def test_a_429_with_retry_after_is_honoured(booru, server):
    data = encode(mosaic(12))
    seen: list[float] = []

    def handler(request: Request) -> Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response(data, content_type="image/jpeg")

    server.expect_request("/throttled.jpg").respond_with_handler(handler)
    booru.add(data, path="/throttled.jpg")

    task, lines = crawl()

    assert task.images_collected == 1, lines
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.95


def test_a_server_that_never_answers_times_out(booru, server, crawl_settings):
    crawl_settings.CRAWL_READ_TIMEOUT = 0.3
    crawl_settings.CRAWL_RETRIES = 1

    def hang(request: Request) -> Response:
        time.sleep(1.0)
        return Response(b"late", content_type="image/jpeg")

    server.expect_request("/hang.jpg").respond_with_handler(hang)
    booru.add(encode(mosaic(13)), path="/hang.jpg")
    booru.add()

    started = time.monotonic()
    task, lines = crawl()

    assert "it timed out" in outcome_lines(lines)[0] or "broke off" in outcome_lines(lines)[0]
    assert task.status == CrawlTask.Status.COMPLETED and task.images_collected == 1
    assert time.monotonic() - started < 10


def test_the_polite_delay_separates_requests(booru, crawl_settings):
    crawl_settings.CRAWL_DELAY = 0.4
    for _ in range(3):
        booru.add()

    task, _ = crawl()

    assert task.images_collected == 3
    times = [at for at, _ in booru.requests]
    assert len(times) == 5  # page 1, three pictures, the empty page 2
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.38, gaps
    assert task.report["delay_seconds"] > 0


def test_private_addresses_are_refused_unless_allowed(booru, crawl_settings):
    crawl_settings.CRAWL_ALLOW_PRIVATE_NETWORKS = False
    booru.add()
    task, _ = crawl()
    assert task.status == CrawlTask.Status.FAILED
    assert "127.0.0.1 is a private, loopback, link-local or otherwise non-public address" in task.error_message
    assert booru.requests == []  # refused before a byte was sent


def test_a_host_name_that_resolves_to_loopback_is_refused_before_connecting(booru, crawl_settings):
    crawl_settings.CRAWL_ALLOW_PRIVATE_NETWORKS = False
    crawl_settings.DANBOORU_URL = booru.url.replace("127.0.0.1", "localhost")
    task, _ = crawl()
    assert task.status == CrawlTask.Status.FAILED
    assert "refused localhost:" in task.error_message and "loopback" in task.error_message
    assert booru.requests == []


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.0.10", True),
        ("172.20.0.1", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", True),
        ("93.184.215.14", False),
        ("2606:4700::6810:84e5", False),
    ],
)
def test_address_rules(settings, address, refused):
    settings.CRAWL_ALLOW_PRIVATE_NETWORKS = False
    assert (address_refusal(address) is not None) is refused


def test_only_http_and_https_are_fetched(crawl_settings):
    task, lines = crawl(source="custom", query="file:///etc/passwd\nftp://example.com/a.jpg")
    outcomes = outcome_lines(lines)
    assert "only http and https URLs are fetched, not file" in outcomes[0]
    assert "only http and https URLs are fetched, not ftp" in outcomes[1]
    assert task.images_collected == 0


def test_custom_urls_become_templates_with_faces_detected(server, crawl_settings, faces_dir):
    data = (faces_dir / "couple_man_woman_closeup.jpg").read_bytes()
    big = encode(PILImage.open(io.BytesIO(data)).resize((1300, 905)))
    server.expect_request("/photos/couple.jpg").respond_with_data(big, content_type="image/jpeg")

    task, lines = crawl(source="custom", query=server.url_for("/photos/couple.jpg"))

    assert task.images_collected == 1, lines
    template = Template.objects.get()
    assert template.category == "custom" and template.review == Review.WAITING
    assert template.face_count == 2 and template.review_label == "ready"  # a photo: faces detected, roles proposed


def test_a_folder_on_the_server_reuses_the_import_sidecar(tmp_path, crawl_settings):
    require_faces_dir()
    crawl_settings.CRAWL_FOLDER_ROOTS = [str(tmp_path)]
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "first.jpg").write_bytes(encode(mosaic(21)))
    (folder / "notes.txt").write_text("not a picture")
    (folder / "templates.json").write_text(json.dumps({"first.jpg": {"title": "Beach walk", "artist": "Aiko"}}))

    task, lines = crawl(source="custom", query=str(folder), filters={"detect_faces": False})

    assert task.images_collected == 1, lines
    template = Template.objects.get()
    assert (template.title, template.artist) == ("Beach walk", "Aiko")
    assert "suffix, not a picture" in outcome_lines(lines)[1]

    outside, _ = crawl(source="custom", query="/etc")
    assert outside.status == CrawlTask.Status.FAILED
    assert "not under a folder listed in CRAWL_FOLDER_ROOTS" in outside.error_message


@pytest.mark.parametrize(
    ("sidecar", "content", "message"),
    [
        ("templates.json", "{not json", "templates.json is not valid JSON"),
        ("templates.json", '[{"title": "no file key"}]', 'templates.json: every entry of the list needs a "file" key.'),
        ("templates.csv", "title,artist\nBeach,Aiko\n", 'templates.csv needs a header row with a "file" column.'),
    ],
)
def test_a_folder_with_a_broken_sidecar_fails_the_crawl_with_the_sidecar_s_own_message(
    tmp_path, crawl_settings, sidecar, content, message
):
    crawl_settings.CRAWL_FOLDER_ROOTS = [str(tmp_path)]
    (tmp_path / "first.jpg").write_bytes(encode(mosaic(21)))
    (tmp_path / sidecar).write_text(content)

    task, lines = crawl(source="custom", query=str(tmp_path), filters={"detect_faces": False})

    assert task.status == CrawlTask.Status.FAILED
    assert task.error_message.startswith(message), task.error_message
    assert "unexpected error" not in task.error_message
    assert f"failed: {task.error_message}" in lines
    assert not Template.objects.exists()


def test_pixiv_without_a_token_fails_at_once_with_its_message(crawl_settings):
    task, _ = crawl(source="pixiv", query="couple")
    assert task.status == CrawlTask.Status.FAILED
    assert task.error_message == "pixiv needs a refresh token (PIXIV_REFRESH_TOKEN)"


def test_a_cancelled_crawl_stops_before_its_next_candidate(booru):
    for _ in range(4):
        booru.add()
    task = crawl_services.crawl_create(source_type="danbooru", search_query="2girls")

    def echo(line: str) -> None:
        if line.startswith("created"):
            crawl_services.crawl_cancel(crawl=CrawlTask.objects.get(pk=task.pk))

    task = crawl_services.crawl_run(crawl_id=task.pk, echo=echo)

    assert task.status == CrawlTask.Status.CANCELLED
    assert task.images_collected == 1 and Template.objects.count() == 1
    assert task.report["created"] == 1 and task.report["lines"][-1].startswith("1 created")
    assert "cancelled: stopped before the next candidate" in task.report["lines"]


def test_a_pending_crawl_cancelled_never_runs(booru):
    booru.add()
    task = crawl_services.crawl_create(source_type="danbooru", search_query="2girls")
    assert crawl_services.crawl_cancel(crawl=task) is True
    assert crawl_services.crawl_run(crawl_id=task.pk).status == CrawlTask.Status.CANCELLED
    assert booru.requests == [] and Template.objects.count() == 0
    assert crawl_services.crawl_cancel(crawl=task) is False  # already finished


def test_a_search_the_source_refuses_fails_the_crawl_with_its_message(server, crawl_settings):
    crawl_settings.DANBOORU_URL = server.url_for("").rstrip("/")
    server.expect_request("/posts.json").respond_with_json(
        {"success": False, "message": "You cannot search for more than 2 tags at a time."}, status=422
    )
    task, _ = crawl(query="a b c")
    assert task.status == CrawlTask.Status.FAILED
    assert "You cannot search for more than 2 tags at a time." in task.error_message


def test_bad_filters_are_refused_with_plain_messages():
    with pytest.raises(ValidationError) as caught:
        crawl_services.crawl_create(
            source_type="danbooru", search_query="", filters={"min_width": "big", "ratings": ["x"], "colour": 1}
        )
    messages = " ".join(caught.value.messages)
    assert "Give a search query" in messages
    assert "Filter min_width must be a whole number." in messages
    assert "not x" in messages and "Unknown filter colour" in messages


def test_the_command_prints_a_line_per_candidate_and_the_totals(booru, capsys):
    booru.add()
    booru.add(rating="e")
    call_command("crawl_templates", "--source", "danbooru", "--query", "2girls", "--sync")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("created")
    assert out[1].startswith("refused") and "rating e is not allowed" in out[1]
    assert out[-1].startswith("1 created, 0 skipped duplicate, 0 skipped near-duplicate, 1 refused")

    with pytest.raises(CommandError, match="--filters is not valid JSON"):
        call_command("crawl_templates", "--source", "danbooru", "--query", "x", "--filters", "{nope")
    with pytest.raises(CommandError, match="pixiv needs a refresh token"):
        call_command("crawl_templates", "--source", "pixiv", "--query", "x", "--sync")


def test_the_command_queues_on_the_crawl_queue(crawl_settings, capsys):
    import django_rq

    call_command("crawl_templates", "--source", "danbooru", "--query", "2girls", "--limit", "5")
    task = CrawlTask.objects.get()
    assert (task.status, task.limit) == ("pending", 5)
    queue = django_rq.get_queue("crawl")
    assert crawl_services.CRAWL_JOBS.job_id(task.pk) in queue.job_ids
    assert f"crawl #{task.pk} queued" in capsys.readouterr().out
    assert crawl_services.CRAWL_JOBS.job_id(task.pk) not in django_rq.get_queue("swaps").job_ids


RECORDED = Path(__file__).parent / "recorded"


def test_pixiv_with_a_token_collects_through_pixivpy_against_recorded_responses(server, crawl_settings):
    require_faces_dir()
    base = server.url_for("").rstrip("/")
    crawl_settings.PIXIV_API_URL = base
    crawl_settings.PIXIV_REFRESH_TOKEN = "recorded-refresh-token"
    seen: list[Request] = []

    def recorded(name: str) -> Response:
        return Response((RECORDED / name).read_text().replace("{base}", base), content_type="application/json")

    def auth(request: Request) -> Response:
        seen.append(request)
        if request.form.get("refresh_token") != "recorded-refresh-token":
            return Response('{"errors": {"system": {"message": "Invalid refresh token"}}}', status=400)
        return recorded("pixiv_auth_token.json")

    def search(request: Request) -> Response:
        seen.append(request)
        if request.headers.get("Authorization") != "Bearer recorded-access-token":
            return Response('{"error": {"message": "Error occurred at the OAuth process."}}', status=400)
        page = "pixiv_search_illust_2.json" if request.args.get("offset") == "30" else "pixiv_search_illust_1.json"
        return recorded(page)

    pictures = {n: encode(mosaic(100 + n)) for n in range(3)}

    def picture(request: Request) -> Response:
        seen.append(request)
        if request.headers.get("Referer") != "https://app-api.pixiv.net/":
            return Response("Forbidden", status=403)
        n = {"70624207_p0.jpg": 0, "76159879_p0.png": 1, "90000003_p0.jpg": 2}[request.path.rsplit("/", 1)[1]]
        return Response(pictures[n], content_type="image/jpeg")

    server.expect_request("/auth/token", method="POST").respond_with_handler(auth)
    server.expect_request("/v1/search/illust").respond_with_handler(search)
    server.expect_request(re.compile(r"^/img-original/.*")).respond_with_handler(picture)

    task, lines = crawl(source="pixiv", query="couple")

    assert task.status == CrawlTask.Status.COMPLETED, (task.error_message, lines)
    assert task.images_collected == 3
    outcomes = outcome_lines(lines)
    assert "rating e is not allowed" in outcomes[2]
    assert "an animation (ugoira), not a still picture" in outcomes[3]
    ball = Template.objects.get(source_url="https://www.pixiv.net/artworks/70624207")
    assert (ball.title, ball.artist, ball.category, ball.is_active) == ("Ball", "wlop", "acg", False)
    assert {"ghostblade", "original", "couple"} <= set(ball.image.tags.names())
    assert Template.objects.get(source_url="https://www.pixiv.net/artworks/76159879").artist == "ももこ"
    # Every request carried our honest User-Agent, pixivpy's own calls included.
    assert {request.headers.get("User-Agent") for request in seen} == {crawl_settings.CRAWL_USER_AGENT}


def test_pixiv_refusing_the_token_fails_the_crawl_plainly(server, crawl_settings):
    crawl_settings.PIXIV_API_URL = server.url_for("").rstrip("/")
    crawl_settings.PIXIV_REFRESH_TOKEN = "expired"
    server.expect_request("/auth/token", method="POST").respond_with_data(
        '{"has_error": true, "errors": {"system": {"message": "Invalid refresh token", "code": 1508}}}', status=400
    )
    task, _ = crawl(source="pixiv", query="couple")
    assert task.status == CrawlTask.Status.FAILED
    assert task.error_message.startswith("pixiv refused the refresh token (PIXIV_REFRESH_TOKEN)")


def test_a_copy_of_a_template_added_before_hashes_were_kept_is_a_near_duplicate(booru):
    from django.core.files.base import ContentFile

    from templates.services import template_create

    original = mosaic(41)
    imported = template_create(
        image_file=ContentFile(encode(original), name="imported.jpg"), title="Imported", detect=False
    )
    assert "phash" not in imported.image.metadata  # stored by the import, which keeps no hash
    booru.add(encode(original.resize((1120, 840)), quality=75))

    task, lines = crawl()

    assert task.images_collected == 0
    assert outcome_lines(lines)[0].startswith("skipped near-duplicate") and f"#{imported.pk}" in lines[0]
    imported.image.refresh_from_db()
    assert len(imported.image.metadata["phash"]) == 16
