"""How the suite runs: markers that follow from what a test uses, a fast password hasher, and a private
Redis per pytest-xdist worker.

Markers (pytest.ini): `browser` (Chromium), `server` (PostgreSQL, Redis, SeaweedFS or a server process
such as gunicorn, runserver or an RQ worker), `slow` (seconds each: the face engine on real photos, and
every browser and server test). `make test-fast` runs `-m "not browser and not server"` on SQLite and
fakeredis. A test is marked from the fixtures it uses; one that starts a server or asks for PostgreSQL or
Redis itself must carry `server`, or it fails saying so, so the fast run can never start one by mistake.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

import testing
from testing import servers

BROWSER_FIXTURES = {"browser"}
SERVER_FIXTURES = {"seaweedfs", "s3_storage", "redis_server", "rq_worker"}
# The face engine on the shared photos: a second or more per test.
ENGINE_FIXTURES = {"engine", "photos", "templates", "couple_template", "alice_photos"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & SERVER_FIXTURES:
            item.add_marker(pytest.mark.server)
        if used & ENGINE_FIXTURES or item.get_closest_marker("browser") or item.get_closest_marker("server"):
            item.add_marker(pytest.mark.slow)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        items[:] = longest_first(items, workers)


# --- The longest tests start first ----------------------------------------------------------------------
# The tests (or whole modules) of half a minute or more, with their seconds from `make test` and
# `make test-fast` with --durations on this machine (2026-12-07, under a load average of 10-16: the scale of
# the figures is the machine's, their order is the tests'; the URL fuzz's as sampled now). Under
# pytest-xdist each starts at the head of a worker's queue, shared out so the workers get about the same
# seconds of them: left where collection puts them, two could fall to one worker, or one start last while
# the other worker sits idle, and the run lasts that much longer. The order of the other tests is kept. A
# module with module-scoped fixtures is listed whole (its tests stay together, in their order): a test
# taken away from its module would build them again.
LONGEST_SECONDS = {
    "swaps/tests/test_fuzz.py::test_no_url_answers_500_to_hostile_values[staff]": 220,
    "faceengine/tests/test_engine_robustness.py": 200,
    "swaps/tests/test_worker_faults.py::test_a_worker_rides_out_a_60_s_postgres_cut_and_a_redis_restart": 77,
    "swaps/tests/test_fuzz.py::test_no_url_answers_500_to_hostile_values[other]": 70,
    "faceengine/tests/test_engine_acg.py::test_drawn_art_keeps_the_person": 60,
    "swaps/tests/test_services.py::test_a_large_template_is_swapped_at_full_size": 50,
    "swaps/tests/test_fuzz.py::test_no_url_answers_500_to_hostile_values[owner]": 47,
    "swaps/tests/test_scale_out.py::test_two_workers_without_a_shared_disk_make_a_batch_of_swaps": 45,
    "faceengine/tests/test_engine_quality.py::test_a_shadow_over_the_persons_forehead_leaves_no_band_at_the_hairline": 35,  # noqa: E501
    "faceengine/tests/test_backends.py::test_the_insightface_backend_runs_on_the_providers_it_is_given": 34,
    "swaps/tests/test_outages.py::test_redis_down_then_back_log_in_works_and_the_pending_swap_completes_by_itself": 32,
}


def _longest_key(nodeid: str) -> str | None:
    """The LONGEST_SECONDS entry naming this test, itself or its module."""
    if nodeid in LONGEST_SECONDS:
        return nodeid
    module = nodeid.split("::")[0]
    return module if module in LONGEST_SECONDS else None


def longest_first(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """`items` reordered for `workers` pytest-xdist workers under --dist worksteal (or load), which hand
    worker k the k-th of `workers` equal runs of the collection: each run starts with its share of the
    LONGEST_SECONDS tests and modules (the longest to the run with the fewest seconds so far), then the
    others in their order."""
    if workers < 2:
        return items
    groups: dict[str, list[pytest.Item]] = {}
    rest = []
    for item in items:
        key = _longest_key(item.nodeid)
        if key is None:
            rest.append(item)
        else:
            groups.setdefault(key, []).append(item)
    if not groups:
        return items
    heads: list[list[pytest.Item]] = [[] for _ in range(workers)]
    seconds = [0] * workers
    for key in sorted(groups, key=lambda key: -LONGEST_SECONDS[key]):
        k = seconds.index(min(seconds))
        heads[k] += groups[key]
        seconds[k] += LONGEST_SECONDS[key]
    ordered: list[pytest.Item] = []
    left = len(items)
    for k, head in enumerate(heads):
        size = left // (workers - k)  # what xdist's scheduler sends worker k
        ordered += head
        take = max(size - len(head), 0)
        ordered += rest[:take]
        rest = rest[take:]
        left -= size
    return ordered + rest


def _check_marked(what: str) -> None:
    item = testing.current_test
    if item is not None and item.get_closest_marker("server") is None:
        pytest.fail(f"{item.nodeid} needs {what}: mark it @pytest.mark.server (make test-fast leaves those out)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    testing.current_test = item


def pytest_runtest_teardown(item: pytest.Item) -> None:
    testing.current_test = None


testing.check_marked = _check_marked
servers.before_start = lambda name: _check_marked(f"a {name} process")


# --- A fast password hasher ----------------------------------------------------------------------------
# Standard pbkdf2_sha256 hashes with one iteration instead of a million: a log-in in a test costs nothing,
# and the servers tests start (with the production hasher list) still verify these hashes, since the
# iteration count is part of each hash.


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["testing.plugin.FastPBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()
    _private_redis_per_worker(config)


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1


# --- pytest-xdist: one private Redis per worker ---------------------------------------------------------
# Tests empty the queues and flush their Redis database; two workers sharing REDIS_URL's database would
# flush each other's jobs (and another developer's, if it took the next database number). So with -n each
# worker starts its own redis-server (the same binary as REDIS_URL's) and points the site and the
# processes it starts at it. Under -n 0 REDIS_URL is used as given.

_worker_redis: servers.RedisServer | None = None


def _private_redis_per_worker(config: pytest.Config) -> None:
    global _worker_redis
    if not os.environ.get("PYTEST_XDIST_WORKER") or not os.environ.get("REDIS_URL"):
        return
    from django.conf import settings
    from django.core.cache import caches

    _worker_redis = servers.RedisServer().start()
    url = _worker_redis.url
    os.environ["REDIS_URL"] = url
    settings.REDIS_URL = url
    for queue in settings.RQ_QUEUES.values():
        queue["URL"] = url
    for alias, cache in settings.CACHES.items():
        if "Redis" in cache["BACKEND"]:
            cache["LOCATION"] = url
            with contextlib.suppress(AttributeError):
                del caches[alias]  # made again from the new LOCATION on first use


def pytest_unconfigure(config: pytest.Config) -> None:
    if _worker_redis is not None:
        _worker_redis.stop()
