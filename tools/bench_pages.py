"""`make bench-pages`: the server time of each signed-in page, in one process, with its query count.

Where bench-web measures requests per second through gunicorn (and so the HTTP server, the load generator
and the other processes of the machine), this calls the WSGI application the way a gunicorn worker does,
one request after another, and prints each page's median and p95 milliseconds, the median CPU time this
process spent on it (the part of the server time that does not wait for PostgreSQL, Redis or another
process on a busy machine) and its SQL queries:
the anonymous gallery's cache hit as the yardstick, then the signed-in couple's pages (50 finished swaps,
300 photos, as bench-web makes them). `--profile <path>` prints cProfile's top functions for that path
(`{template}` and `{swap}` in it stand for the couple's template and swap ids: `--profile /swaps/new/{template}/`).

PostgreSQL (a throwaway `<DATABASE_URL's name>_pages` database) and Redis (REDIS_URL) as in production,
DEBUG=False, pictures in a SeaweedFS S3 server started here.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testing.servers import REPO_DIR, SeaweedFS, production_environ, stopping, throwaway_database

from .bench_web import PERSON, POPULATE, manage

_CHILD = "FACESWAP_BENCH_PAGES_PERSON"


def _environ(path: str, cookie: str) -> dict:
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_ACCEPT_ENCODING": "gzip",
        "HTTP_ACCEPT_LANGUAGE": "en",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **({"HTTP_COOKIE": cookie} if cookie else {}),
    }


def _measure(requests: int, profile: str) -> None:
    from tools import djangosetup

    djangosetup.setup()
    from django.db import connection

    from faceswap_site.wsgi import application

    person = json.loads(os.environ[_CHILD])
    cookie = person["cookie"]

    def call(path: str, cookie: str) -> tuple[str, bytes]:
        status: list[str] = []
        body = b"".join(application(_environ(path, cookie), lambda s, h, *a: status.append(s)))
        return status[0], body

    pages = [
        ("anonymous gallery (cache hit)", "/templates/", ""),
        ("anonymous template page (cache hit)", f"/templates/{person['template']}/", ""),
        ("signed in: gallery", "/templates/", cookie),
        ("signed in: template page", f"/templates/{person['template']}/", cookie),
        ("signed in: My swaps (50 swaps)", "/swaps/", cookie),
        ("signed in: My photos (300 photos)", "/photos/", cookie),
        ("signed in: swap form", f"/swaps/new/{person['template']}/", cookie),
        ("signed in: status JSON", f"/swaps/{person['swap']}/status/", cookie),
    ]
    if profile:
        # The made-up couple's ids are known only here: `--profile /swaps/new/{template}/` names them.
        profile = profile.format(template=person["template"], swap=person["swap"])
        pages = [(f"profile of {profile}", profile, cookie)]
    print(f"{'page':<40} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8} {'KB':>6}")
    for label, path, who in pages:
        for _ in range(20):  # warm: templates loaded, connections open, cache filled
            status, body = call(path, who)
            if not status.startswith("200"):
                raise RuntimeError(f"{path} answered {status}")
        queries: list[str] = []

        def counted(execute, sql, *rest, queries=queries):
            started = time.perf_counter()
            try:
                return execute(sql, *rest)
            finally:
                queries.append(f"{(time.perf_counter() - started) * 1000:6.2f} ms  {sql}")

        with connection.execute_wrapper(counted):
            call(path, who)
        times, cpu = [], []
        profiler = cProfile.Profile() if profile else None
        for _ in range(requests):
            started, started_cpu = time.perf_counter(), time.thread_time()
            if profiler:
                profiler.enable()
            call(path, who)
            if profiler:
                profiler.disable()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{label:<40} {statistics.median(times):>10.2f} {p95:>8.2f} {statistics.median(cpu):>8.2f} "
            f"{len(queries):>8} {len(body) / 1024:>6.0f}"
        )
        if profiler:
            for sql in queries:
                print("  SQL:", sql[:160])
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--templates", type=int, default=200)
    parser.add_argument("--profile", default="", help="a path to profile with cProfile (signed in)")
    args = parser.parse_args()
    if os.environ.get(_CHILD):
        _measure(args.requests, args.profile)
        return
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"bench-pages needs {name} (PostgreSQL and Redis)")
    s3 = SeaweedFS(bucket="faceswap-bench-pages").start()
    with (
        stopping(s3),
        tempfile.TemporaryDirectory(prefix="faceswap-bench-pages-") as tmp,
        throwaway_database(os.environ["DATABASE_URL"], suffix="pages") as database_url,
    ):
        env = production_environ(Path(tmp), s3, database_url, quiet=True)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "storage_setup")
        subprocess.run([sys.executable, "-c", POPULATE.format(count=args.templates)], cwd=REPO_DIR, env=env, check=True)
        made = subprocess.run(
            [sys.executable, "-c", PERSON.format(watchers=0)],
            cwd=REPO_DIR,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        person = made.split("PERSON ", 1)[1].strip()
        # The cache is shared with other runs on this Redis database: start from an empty one.
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from tools import djangosetup; djangosetup.setup(); "
                "from django.core.cache import cache; cache.clear()",
            ],
            cwd=REPO_DIR,
            env=env,
            check=True,
        )
        subprocess.run(
            [sys.executable, "-m", "tools.bench_pages", *sys.argv[1:]],
            cwd=REPO_DIR,
            env={**env, _CHILD: person},
            check=True,
        )


if __name__ == "__main__":
    main()
