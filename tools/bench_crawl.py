"""How long a crawl takes against a local Danbooru-shaped server, without the polite delay.

    python -m tools.bench_crawl [--pictures 100] [--runs 3]

Each run crawls `--pictures` new pictures (1200x900 JPEG mosaics of the shared test photos, about
0.2-0.3 MB each) served by a real HTTP server on 127.0.0.1, into a throwaway copy of the configured
database (DATABASE_URL) and a temporary media folder, with CRAWL_DELAY=0: the figure is the crawler's own
work (requests, validation and re-encoding, hashes, duplicate checks, storing), not the politeness wait,
which adds CRAWL_DELAY seconds per request on top (pictures + pages + 1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pictures", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-crawl-media-")
    os.environ["MEDIA_ROOT"] = media
    from tools import djangosetup

    djangosetup.setup()
    from django.conf import settings
    from django.db import connection
    from pytest_httpserver import HTTPServer

    from testing.crawl_data import FakeBooru

    settings.CRAWL_ALLOW_PRIVATE_NETWORKS = True
    settings.CRAWL_DELAY = 0
    old_name = connection.settings_dict["NAME"]
    # Its own throwaway database, never the test suite's test_<name>.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_crawl_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        return _bench(args, settings, server, FakeBooru)
    finally:
        server.clear()
        server.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _bench(args: argparse.Namespace, settings, server, fake_booru) -> int:
    from templates import crawl_services
    from templates.models import CrawlTask, Template

    booru = fake_booru(server, per_page=100)
    settings.DANBOORU_URL = booru.url
    started = time.perf_counter()
    for _ in range(args.pictures * args.runs):
        booru.add()
    sizes = sorted(len(data) for data in booru.files.values())
    print(
        f"crawl benchmark: {args.pictures} pictures per run, {args.runs} runs, database {connection_vendor()}, "
        f"pictures {statistics.median(sizes) / 1e6:.2f} MB median (made in {time.perf_counter() - started:.0f} s)"
    )
    seconds, per_picture = [], []
    for run in range(args.runs):
        # Each run sees only its own pictures: the earlier runs' posts are on pages it never reaches.
        booru.posts[:] = booru.posts[args.pictures :] + booru.posts[: args.pictures]
        crawl = crawl_services.crawl_create(source_type="danbooru", search_query="2girls", limit=args.pictures)
        t0 = time.perf_counter()
        crawl = crawl_services.crawl_run(crawl_id=crawl.pk)
        elapsed = time.perf_counter() - t0
        report = crawl.report
        assert crawl.status == CrawlTask.Status.COMPLETED, crawl.error_message
        assert report["created"] == args.pictures, report
        seconds.append(elapsed)
        per_picture.append(elapsed / args.pictures)
        print(
            f"  run {run + 1}: {elapsed:.1f} s for {report['created']} new templates, {report['requests']} requests, "
            f"{report['delay_seconds']:.1f} s of polite delay; {1000 * elapsed / args.pictures:.0f} ms per picture"
        )
    print(
        f"median {statistics.median(seconds):.1f} s per {args.pictures}-picture crawl "
        f"({1000 * statistics.median(per_picture):.0f} ms per picture); {Template.objects.count()} templates stored. "
        f"With the default CRAWL_DELAY=1 s add about {args.pictures + 2} s of waiting."
    )
    return 0


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    sys.exit(main())
