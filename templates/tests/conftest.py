import contextlib

import pytest


@pytest.fixture(autouse=True)
def _empty_crawl_queue():
    """Crawl jobs queued by one test never reach the next (on a real Redis the queue outlives tests).

    Only the crawl queue's own jobs are removed, never the whole database.
    """
    yield
    import django_rq
    from redis.exceptions import RedisError

    with contextlib.suppress(RedisError):
        django_rq.get_queue("crawl").empty()
