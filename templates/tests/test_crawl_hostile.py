"""A hostile source: addresses inside the network, a gzip bomb for JSON, a picture that trickles in, posts
that cannot be read. Against a real HTTP server on 127.0.0.1, which is the only non-public address the
crawler is allowed here (CRAWL_ALLOWED_NETWORKS), as a local mirror would be."""

from __future__ import annotations

import json
import resource
import time
import zlib

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from templates import crawl_services
from templates.crawlers.http import address_refusal
from templates.models import CrawlTask, Template
from testing import require_faces_dir
from testing.crawl_data import encode, mosaic

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_site():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def guarded(settings, local_site):
    """The address guard on, with only the local test server let through."""
    settings.CRAWL_ALLOW_PRIVATE_NETWORKS = False
    settings.CRAWL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.CRAWL_DELAY = 0
    settings.CRAWL_RETRIES = 0
    settings.CRAWL_READ_TIMEOUT = 5
    settings.DANBOORU_URL = local_site.url_for("").rstrip("/")
    return settings


def run(source: str, query: str) -> tuple[CrawlTask, list[str]]:
    lines: list[str] = []
    task = crawl_services.crawl_create(source_type=source, search_query=query)
    return crawl_services.crawl_run(crawl_id=task.pk, echo=lines.append), lines


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # carrier-grade NAT
        "100.100.100.200",  # a cloud metadata address inside it
        "192.0.0.8",
        "198.18.0.1",
        "240.0.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "::ffff:100.64.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::6440:1",  # NAT64 of 100.64.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_every_non_public_range_is_refused(settings, address):
    settings.CRAWL_ALLOW_PRIVATE_NETWORKS = False
    assert address_refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "64:ff9b::808:808", "2002:808:808::1"])
def test_public_addresses_and_their_ipv6_forms_pass(settings, address):
    settings.CRAWL_ALLOW_PRIVATE_NETWORKS = False
    assert address_refusal(address) is None


def test_a_custom_url_into_carrier_grade_nat_is_refused(guarded):
    task, lines = run("custom", "http://100.64.0.1/metadata.jpg")
    assert task.images_collected == 0
    assert any(line.startswith("refused") and "100.64.0.1 is a private" in line for line in lines), lines


def test_a_redirect_into_carrier_grade_nat_is_refused(guarded, local_site):
    local_site.expect_request("/picture.jpg").respond_with_response(
        Response(status=302, headers={"Location": "http://100.64.0.1/latest/meta-data/"})
    )
    task, lines = run("custom", local_site.url_for("/picture.jpg"))
    assert task.images_collected == 0
    assert any(line.startswith("refused") and "100.64.0.1" in line for line in lines), lines
    assert len(local_site.log) == 1  # the redirect was asked for; its target never was


def test_a_gzip_bomb_for_json_is_cut_while_it_inflates(guarded, local_site):
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = b" " * (1024 * 1024)
    body = b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()  # 1 GiB of spaces
    assert len(body) < 2 * 1024 * 1024
    local_site.expect_request("/posts.json").respond_with_response(
        Response(body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    task, _ = run("danbooru", "2girls")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert task.status == CrawlTask.Status.FAILED
    assert "inflates past the limit of 32.0 MB" in task.error_message, task.error_message
    assert grown_mb < 200, grown_mb  # never near the 1 GiB it would inflate to


def test_an_answer_larger_than_the_cap_on_the_wire_is_refused(guarded, local_site):
    guarded.CRAWL_API_MAX_BYTES = 100_000
    big = json.dumps([{"id": n, "tag_string_general": "y" * 1000} for n in range(200)])
    local_site.expect_request("/posts.json").respond_with_data(big, content_type="application/json")
    task, _ = run("danbooru", "2girls")
    assert task.status == CrawlTask.Status.FAILED
    assert "larger than the limit of 0.1 MB" in task.error_message, task.error_message


def test_a_picture_trickling_in_is_cut_at_the_deadline(guarded, local_site):
    guarded.CRAWL_DOWNLOAD_DEADLINE = 2

    def trickle():
        for _ in range(60):
            yield b"\xff"
            time.sleep(0.5)  # a byte every half second: every read gets something before its timeout

    local_site.expect_request("/slow.jpg").respond_with_response(
        Response(trickle(), content_type="image/jpeg", headers={"Content-Length": "60"})
    )
    started = time.monotonic()
    _, lines = run("custom", local_site.url_for("/slow.jpg"))
    took = time.monotonic() - started
    assert any("the download took longer than 2 s" in line for line in lines), lines
    assert took < 10, took  # cut at the deadline, not after the 30 s the trickle would last


def test_a_malformed_post_is_refused_alone_and_the_crawl_goes_on(guarded, local_site):
    require_faces_dir()
    guarded.CRAWL_MIN_SHORT_SIDE = 800
    local_site.expect_request("/good.jpg").respond_with_data(encode(mosaic(1)), content_type="image/jpeg")
    good = {"id": 1, "file_url": local_site.url_for("/good.jpg"), "file_ext": "jpg", "rating": "g"}
    deep = "[" * 100_000 + "]" * 100_000  # deeper than Python's parser goes
    page = (
        f'[{{"id": 90, "file_url": ["x"]}}, {{"id": 91, "file_url": {deep}}}, "not a post", {{"id": [1]}}, '
        f'{{"id": 92, "image_width": "wide", "tag_string_general": 7, "md5": 5, "file_ext": {{"a": 1}}, '
        f'"file_url": "{good["file_url"]}"}}, {json.dumps(good)}]'
    )
    pages = iter([page])
    local_site.expect_request("/posts.json").respond_with_handler(
        lambda request: Response(next(pages, "[]"), content_type="application/json")
    )
    task, lines = run("danbooru", "2girls")
    assert task.status == CrawlTask.Status.COMPLETED, (task.error_message, lines)
    assert Template.objects.count() == 1
    refused = [line for line in lines if line.startswith("refused")]
    assert any("file URL is not a text" in line for line in refused), refused
    assert any("nested too deeply" in line for line in refused), refused
    assert any("not a JSON object" in line for line in refused), refused
    assert any("has no id" in line for line in refused), refused
    assert (task.report["refused"], task.report["created"]) == (5, 1), lines
