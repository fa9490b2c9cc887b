"""A page missing from the shared cache is rendered once however many visitors ask for it at that moment, and
only pages with meaningful parameters are kept."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from django.core.cache import cache
from django.urls import reverse

from templates.cache import CACHE_HEADER, VERSION_KEY, pages_version
from testing import require_postgres, require_redis_url
from testing.cast import make_template
from testing.fixtures_services import web_server

GALLERY = reverse("couple_templates:list")


@pytest.mark.server
def test_sixteen_concurrent_misses_render_the_page_once(transactional_db, tmp_path):
    require_postgres()
    require_redis_url()
    for i in range(30):
        make_template(title=f"Scene {i}", tags=("beach", f"tag-{i % 7}"))
    server = web_server("gthread", tmp_path / "server.log")
    try:
        server.start(ready_path="/")
        pages_version()  # the version key exists
        for attempt in range(3):
            # A template change makes every page stale: the next visitors all miss at once. (Straight to the
            # server's Redis: under heavy load this process's cache may have fallen back to a local one.)
            redis.Redis.from_url(os.environ["REDIS_URL"]).incr(cache.make_key(VERSION_KEY))
            start = threading.Barrier(16)

            def visit(_, start=start):
                start.wait()
                response = requests.get(server.url + GALLERY + "?sort=newest", timeout=60)
                return response.status_code, response.headers.get(CACHE_HEADER), response.content

            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(visit, range(16)))
            assert {status for status, _, _ in answers} == {200}
            how = sorted(header for _, header, _ in answers)
            assert how.count("miss") == 1, (attempt, how)
            assert set(how) <= {"miss", "wait", "hit"}, how
            assert len({body for _, _, body in answers}) == 1, "every visitor got the same page"
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_only_pages_with_meaningful_parameters_are_kept(client):
    make_template(title="Rooftop", category="movie", tags=("beach",))
    assert client.get(GALLERY)[CACHE_HEADER] == "miss"
    # Unknown values are dropped: the same page as without them.
    for junk in ("?sort=sideways", "?category=nope", "?after=abc", "?page=7", "?sort=popular&utm_source=x"):
        assert client.get(GALLERY + junk)[CACHE_HEADER] == "hit", junk
    # A tag no template has, a position that is no template and any search are shown but never kept.
    for unkept in ("?tag=no-such-tag", "?after=987654321", "?q=rooftop"):
        for _ in range(2):
            response = client.get(GALLERY + unkept)
            assert response.status_code == 200 and response.get(CACHE_HEADER) is None, unkept
    assert client.get(GALLERY + "?tag=beach")[CACHE_HEADER] == "miss"
    assert client.get(GALLERY + "?tag=beach")[CACHE_HEADER] == "hit"
