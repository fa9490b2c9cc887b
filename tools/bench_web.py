"""`make bench-web`: the production start under load, with this machine's limit measured in the same run.

gunicorn -w 2 (gunicorn.conf.py), DEBUG=False, PostgreSQL (a throwaway `<DATABASE_URL's name>_bench`
database), Redis (REDIS_URL) as the shared cache, pictures in a SeaweedFS S3 server started here, 200
templates. Each URL is loaded by wrk (-t2 -c16) when it is installed, else by a Python load generator;
then one full page view as a browser makes it (the page, its stylesheet, icon and every thumbnail, six
connections at a time); then the limit: the same gallery bytes answered from memory by a bare WSGI app
under the same gunicorn settings. Figures on a shared 2-core machine are noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from testing.servers import REPO_DIR, Gunicorn, SeaweedFS, Uvicorn, production_environ, stopping, throwaway_database

CONNECTIONS = 16
THREADS = 2
BROWSER_CONNECTIONS = 6  # what browsers open per host
TARGET_RPS = 500
TARGET_P95_MS = 30.0
TARGET_PAGE_VIEW_P95_MS = 50.0

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.1f %.1f %.1f %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Load:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    error_kinds: str = ""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def wrk_load(url: str, seconds: float, script: Path, cookie: str = "") -> Load:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", *headers, "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, duration_us, p50, p95, p99, *kinds = match.groups()
    named = dict(zip(("connect", "read", "write", "status", "timeout"), map(int, kinds), strict=True))
    return Load(
        rps=int(requests) / (int(duration_us) / 1e6),
        p50_ms=float(p50) / 1000,
        p95_ms=float(p95) / 1000,
        p99_ms=float(p99) / 1000,
        errors=sum(named.values()),
        requests=int(requests),
        error_kinds=", ".join(f"{count} {kind}" for kind, count in named.items() if count),
    )


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _get(conn: http.client.HTTPConnection, url: str, cookie: str = "") -> tuple[int, int]:
    headers = {"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {})}
    conn.request("GET", _path(url), headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.getheader("Connection", "").lower() == "close":
        conn.close()
    return response.status, len(body)


def python_load(url: str, seconds: float, cookie: str = "") -> Load:
    """The fallback without wrk: CONNECTIONS keep-alive connections in threads, for `seconds`."""
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def run() -> None:
        conn = _connection(url)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, _ = _get(conn, url, cookie)
            except (OSError, http.client.HTTPException):
                conn = _connection(url)
                status = 0
            mine.append((time.perf_counter() - started) * 1000)
            if not 200 <= status < 400:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Load(
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.5),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        errors=errors[0],
        requests=len(latencies),
    )


def page_assets(base: str, html: str) -> list[str]:
    """What a browser fetches for a page: stylesheets, scripts, icons and images."""
    found = re.findall(r'<(?:link[^>]+href|img[^>]+src|script[^>]+src)="([^"]+)"', html)
    return [url if url.startswith("http") else base + url for url in dict.fromkeys(found)]


def page_views(base: str, path: str, count: int) -> tuple[list[float], int, int]:
    """`count` full page views, one after another: (milliseconds each, requests per view, bytes per view)."""
    page_conn = _connection(base)
    pool = ThreadPoolExecutor(BROWSER_CONNECTIONS)
    local = threading.local()

    def fetch(url: str) -> tuple[int, int]:
        conns = local.__dict__.setdefault("conns", {})
        key = urlsplit(url).netloc
        if key not in conns:
            conns[key] = _connection(url)
        try:
            return _get(conns[key], url)
        except (OSError, http.client.HTTPException):
            conns[key] = _connection(url)
            return _get(conns[key], url)

    times = []
    requests = size = 0
    try:
        for _ in range(count):
            started = time.perf_counter()
            page_conn.request("GET", path)
            response = page_conn.getresponse()
            html = response.read().decode()
            assets = page_assets(base, html)
            results = list(pool.map(fetch, assets))
            times.append((time.perf_counter() - started) * 1000)
            bad = [url for url, (status, _) in zip(assets, results, strict=True) if status != 200]
            if response.status != 200 or bad:
                raise RuntimeError(f"page view failed: {response.status} {bad[:3]}")
            requests = 1 + len(assets)
            size = len(html) + sum(n for _, n in results)
    finally:
        pool.shutdown()
    return times, requests, size


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env, check=True, capture_output=True)


POPULATE = """
from tools import djangosetup
djangosetup.setup()
from tools.bench_gallery import Command
Command()._populate({count})
"""


# A signed-in couple with 50 finished swaps, one being made, 300 photos and a few hearts, and another with
# `watchers` swaps being made (their pages are the open result pages of the watchers row); prints their
# session cookies and ids.
PERSON = """
import json
from importlib import import_module
from tools import djangosetup
djangosetup.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone
from accounts.models import User
from gallery.models import Image
from swaps.models import FaceSwapTask
from templates.models import Favourite, Template

user = User.objects.create_user(username="bench", email="bench@example.com", password="bench-Password-1")
templates = list(Template.objects.filter(is_active=True).select_related("image").order_by("pk")[:50])
picture = templates[0].image
def image(kind, i):
    return Image(owner=user, filename=f"{{kind}}-{{i}}.jpg", file=picture.file.name, file_size=picture.file_size,
                 width=picture.width, height=picture.height, image_type=kind, category=picture.category, metadata={{}})
photos = Image.objects.bulk_create([image("source", i) for i in range(300)])
results = Image.objects.bulk_create([image("result", i) for i in range(len(templates))])
now = timezone.now()
def task(template, i, **fields):
    return FaceSwapTask(user=user, template=template, husband_image=photos[(2 * i) % 300],
                        wife_image=photos[(2 * i + 1) % 300], source_faces={{}}, **fields)
FaceSwapTask.objects.bulk_create([
    task(t, i, status="completed", progress=100, result_image=results[i], processing_time=0.5, started_at=now,
         completed_at=now)
    for i, t in enumerate(templates)
])
being_made = task(templates[0], 0, status="processing", progress=45, started_at=now)
being_made.save()
Favourite.objects.bulk_create([Favourite(user=user, template=t) for t in templates[:5]])
# The open result pages belong to another couple, so the first one's pages stay as described.
watcher = User.objects.create_user(username="watcher", email="watcher@example.com", password="bench-Password-1")
watched = FaceSwapTask.objects.bulk_create([
    FaceSwapTask(user=watcher, template=templates[i % len(templates)], source_faces={{}}, status="processing",
                 progress=45, started_at=now)
    for i in range({watchers})
])
def cookie(person):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.create()
    return f"{{settings.SESSION_COOKIE_NAME}}={{store.session_key}}"
print("PERSON " + json.dumps({{
    "cookie": cookie(user),
    "watcher_cookie": cookie(watcher),
    "template": templates[0].pk,
    "swap": being_made.pk,
    "watched": [t.pk for t in watched],
}}))
"""


class Watchers:
    """`count` open result pages: each an event stream of the push process, held open in a thread."""

    def __init__(self, base: str, cookie: str, task_ids: list[int]) -> None:
        import asyncio

        self.asyncio = asyncio
        self.base = urlsplit(base)
        self.cookie = cookie
        self.task_ids = task_ids
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.writers: list = []
        self.opened = 0

    async def _open(self, task_id: int, limit) -> None:
        async with limit:
            reader, writer = await self.asyncio.open_connection(self.base.hostname, self.base.port)
            writer.write(
                f"GET /swaps/{task_id}/events/ HTTP/1.1\r\nHost: {self.base.netloc}\r\nCookie: {self.cookie}\r\n"
                "Accept: text/event-stream\r\n\r\n".encode()
            )
            await writer.drain()
            while True:  # until its first event: the page shows the state
                line = await self.asyncio.wait_for(reader.readline(), 60)
                if not line:
                    raise RuntimeError(f"the push process closed the stream of swap {task_id}")
                if line.startswith(b"data: "):
                    break
            self.writers.append(writer)
            self.opened += 1

    def open(self) -> float:
        """Open every stream (at most 10 connecting at once: each is a database connection while it
        checks the person and the swap); the seconds it took."""
        self.thread.start()
        started = time.perf_counter()

        async def all_of_them() -> None:
            limit = self.asyncio.Semaphore(10)
            await self.asyncio.gather(*(self._open(task_id, limit) for task_id in self.task_ids))

        self.asyncio.run_coroutine_threadsafe(all_of_them(), self.loop).result(timeout=600)
        return time.perf_counter() - started

    def close(self) -> None:
        async def close_all() -> None:
            for writer in self.writers:
                writer.close()
            for task in self.asyncio.all_tasks():
                if task is not self.asyncio.current_task():
                    task.cancel()

        if self.thread.is_alive():
            self.asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(timeout=60)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn --workers: the workers), in MB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def worker_kind() -> str:
    """gunicorn's worker class as gunicorn.conf.py picks it from the environment."""
    threads = int(os.environ.get("GUNICORN_THREADS", "4"))
    return f"gthread, {threads} threads" if threads > 1 else "sync"


def verdict(value: float, target: float, *, at_least: bool) -> str:
    met = value >= target if at_least else value <= target
    ratio = value / target if target else 0
    return f"{'met' if met else 'NOT met'} ({ratio:.2f}x target)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="load time per URL")
    parser.add_argument("--templates", type=int, default=200)
    parser.add_argument("--page-views", type=int, default=60)
    parser.add_argument("--watchers", type=int, default=1000, help="open result pages of the watchers row (0: none)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    args = parser.parse_args()
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"bench-web needs {name} (PostgreSQL and Redis)")
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    tmp = Path(tempfile.mkdtemp(prefix="faceswap-bench-web-"))
    script = tmp / "report.lua"
    script.write_text(WRK_SCRIPT)

    def load(url: str, cookie: str = "") -> Load:
        return wrk_load(url, args.seconds, script, cookie) if use_wrk else python_load(url, args.seconds, cookie)

    s3 = SeaweedFS(bucket="faceswap-bench").start()
    try:
        with stopping(s3), throwaway_database(os.environ["DATABASE_URL"], suffix="bench") as database_url:
            env = production_environ(tmp, s3, database_url, quiet=True)
            started = time.perf_counter()
            manage(env, "migrate", "--noinput")
            manage(env, "collectstatic", "--noinput")
            manage(env, "storage_setup")
            subprocess.run(
                [sys.executable, "-c", POPULATE.format(count=args.templates)], cwd=REPO_DIR, env=env, check=True
            )
            made = subprocess.run(
                [sys.executable, "-c", PERSON.format(watchers=args.watchers)],
                cwd=REPO_DIR,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            person = json.loads(made.split("PERSON ", 1)[1])
            setup = time.perf_counter() - started
            web = Gunicorn(env=env, workers=2, log_path=tmp / "gunicorn.log").start()
            push = Uvicorn(env=env, log_path=tmp / "uvicorn.log").start()
            with stopping(web), stopping(push):
                rows, page_view, gallery_html = measure(web.url, database_url, load, args.page_views)
                rows += measure_signed_in(web.url, person, load)
                watchers = None
                if person["watched"]:
                    try:
                        watchers = measure_watchers(web.url, push, person, load)
                    except Exception as exc:  # the other rows are still worth printing
                        print(f"watchers row failed: {type(exc).__name__}: {exc}\n{push.log()[-3000:]}")
                # Memory of each warm web worker, after all of the above.
                web_rss = [rss_mb(pid) for pid in web.children()]
            (tmp / "gallery.html").write_bytes(gallery_html)
            limit_env = {**env, "BENCH_BODY_FILE": str(tmp / "gallery.html")}
            limit = Gunicorn(
                env=limit_env, workers=2, log_path=tmp / "limit.log", app="tools.bench_web_limit:application"
            ).start(ready_path="/")
            with stopping(limit):
                limit_load = load(limit.url + "/templates/")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    tool = f"wrk -t{THREADS} -c{CONNECTIONS}" if use_wrk else f"Python load generator, {CONNECTIONS} connections"
    print(
        f"\nProduction start: gunicorn -w 2 ({worker_kind()}), DEBUG=False, PostgreSQL, Redis cache, S3 (SeaweedFS), "
        f"{args.templates} templates; {tool}, {args.seconds:.0f} s per URL; setup {setup:.0f} s"
    )
    by_label = dict(rows)
    gallery_rps = by_label["/templates/ (gallery, 24 cards)"].rps
    header = (
        f"| {'URL':<68} | {'req/s':>7} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | {'errors':>6} | "
        f"{'vs gallery':>10} | {'vs limit':>8} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    for label, result in rows:
        print(
            f"| {label:<68} | {result.rps:>7.0f} | {result.p50_ms:>7.1f} | {result.p95_ms:>7.1f} | "
            f"{result.p99_ms:>7.1f} | {result.errors:>6} | {result.rps / gallery_rps:>10.0%} | "
            f"{result.rps / limit_load.rps:>8.1%} |"
        )
    times, requests, size = page_view
    print(
        f"| {'full page view: /templates/ + ' + str(requests - 1) + ' files, 6 connections':<68} | {'':>7} | "
        f"{statistics.median(times):>7.1f} | {percentile(times, 0.95):>7.1f} | {percentile(times, 0.99):>7.1f} | "
        f"{0:>6} | {'':>10} | {'':>8} |"
    )
    if watchers:
        for label, result in (
            ("gallery, no result page open", watchers.without),
            (f"gallery, {watchers.opened} result pages open (push streams)", watchers.with_them),
        ):
            print(
                f"| {'watchers: ' + label:<68} | {result.rps:>7.0f} | {result.p50_ms:>7.1f} | "
                f"{result.p95_ms:>7.1f} | {result.p99_ms:>7.1f} | {result.errors:>6} | "
                f"{result.rps / gallery_rps:>10.0%} | {result.rps / limit_load.rps:>8.1%} |"
            )
    print(
        f"| {'limit: the same gallery bytes from memory (bare WSGI)':<68} | {limit_load.rps:>7.0f} | "
        f"{limit_load.p50_ms:>7.1f} | {limit_load.p95_ms:>7.1f} | {limit_load.p99_ms:>7.1f} | {limit_load.errors:>6} | "
        f"{limit_load.rps / gallery_rps:>10.0%} | {1:>8.1%} |"
    )
    print(f"(a full page view is {requests} requests, {size / 1024:.0f} KB, fetched cold as a first visit)")
    for label, result in [*rows, ("limit", limit_load)]:
        if result.error_kinds:
            print(f"(errors of {label}: {result.error_kinds})")
    print("\nTargets:")
    for label in ("/templates/ (gallery, 24 cards)", "/templates/<id>/ (detail)"):
        result = by_label[label]
        print(
            f"- {label}: {result.rps:.0f} req/s, target >= {TARGET_RPS}: "
            f"{verdict(result.rps, TARGET_RPS, at_least=True)}; "
            f"p95 {result.p95_ms:.1f} ms, target <= {TARGET_P95_MS:.0f}: "
            f"{verdict(result.p95_ms, TARGET_P95_MS, at_least=False)}; errors {result.errors} (target 0)"
        )
    p95 = percentile(times, 0.95)
    print(
        f"- full page view p95 {p95:.1f} ms, target < {TARGET_PAGE_VIEW_P95_MS:.0f}: "
        f"{verdict(p95, TARGET_PAGE_VIEW_P95_MS, at_least=False)}"
    )
    gallery = by_label["/templates/ (gallery, 24 cards)"]
    print(f"- the gallery runs at {gallery.rps / limit_load.rps:.0%} of the bytes-from-memory limit")
    signed_gallery = by_label.get(SIGNED_IN + "/templates/ (gallery, shared cache + own parts)")
    if signed_gallery:
        print(
            f"- signed-in gallery at {signed_gallery.rps / gallery.rps:.0%} of the anonymous gallery's rate, target "
            f">= 50 %: {verdict(signed_gallery.rps / gallery.rps, 0.5, at_least=True)}"
        )
        for label, result in rows:
            if label.startswith(SIGNED_IN):
                print(
                    f"- {label}: {result.rps / limit_load.rps:.1%} of the limit, target >= 15 %: "
                    f"{verdict(result.rps / limit_load.rps, 0.15, at_least=True)}"
                )
    print(f"- each web worker uses {', '.join(f'{mb:.0f}' for mb in web_rss)} MB (resident, warm)")
    status = by_label.get(SIGNED_IN + "/swaps/<id>/status/ (status JSON, the poll)")
    if watchers:
        fall = 1 - watchers.with_them.rps / watchers.without.rps
        print(
            f"- watchers: {watchers.opened} of {watchers.count} result pages open in {watchers.open_seconds:.1f} s "
            f"(the push process then {watchers.push_rss_mb:.0f} MB); the gallery's rate fell by {fall:.0%} with "
            f"them open, target <= 20 %: {verdict(fall, 0.2, at_least=False)}"
        )
        if status:
            print(
                f"  (polled 4 times a second, as before, the same pages would ask {4 * watchers.count} req/s of a "
                f"status JSON answered at {status.rps:.0f} req/s: {4 * watchers.count / status.rps:.1f}x the "
                "web workers' whole capacity)"
            )


def template_image_id(database_url: str, template_pk: int) -> int:
    import psycopg2

    with psycopg2.connect(database_url) as db, db.cursor() as cursor:
        cursor.execute("SELECT image_id FROM templates WHERE id = %s", [template_pk])
        return cursor.fetchone()[0]


def measure(base: str, database_url: str, load, page_views_count: int):
    conn = _connection(base)
    conn.request("GET", "/templates/")
    response = conn.getresponse()
    gallery_html = response.read()
    html = gallery_html.decode()
    detail = re.search(r'href="(/templates/\d+/)"', html).group(1)
    thumbnail = re.search(r'<img src="([^"]+_thumb\.jpg)"', html).group(1)
    template_pk = re.search(r"/templates/(\d+)/", detail).group(1)
    css = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', html).group(1)
    # The picture's id, for the old per-id thumbnail address (a redirect to the public URL).
    image_pk = template_image_id(database_url, int(template_pk))
    urls = [
        ("/templates/ (gallery, 24 cards)", base + "/templates/"),
        ("/templates/<id>/ (detail)", base + detail),
        ("/templates/?tag=beach", base + "/templates/?tag=beach"),
        ("template thumbnail at its public S3 URL (SeaweedFS)", thumbnail),
        ("/static/css/site.<hash>.css (whitenoise)", base + css),
    ]
    if image_pk:
        urls.append(("/photos/<id>/thumbnail/ (302 to the public URL)", f"{base}/photos/{image_pk}/thumbnail/"))
    rows = []
    for label, url in urls:
        for _ in range(20):  # warm: caches filled, connections open
            warm = _connection(url)
            _get(warm, url)
        rows.append((label, load(url)))
    return rows, page_views(base, "/templates/", page_views_count), gallery_html


SIGNED_IN = "signed in: "


def measure_signed_in(base: str, person: dict, load) -> list[tuple[str, Load]]:
    """The signed-in couple's pages (50 swaps, 300 photos), each checked to be theirs before the load."""
    cookie = person["cookie"]
    urls = [
        ("/templates/ (gallery, shared cache + own parts)", "/templates/", "bench"),
        ("/templates/<id>/ (detail)", f"/templates/{person['template']}/", "bench"),
        ("/swaps/ (My swaps, 50 swaps)", "/swaps/", "bench"),
        ("/photos/ (My photos, 300 photos)", "/photos/", "bench"),
        ("/swaps/new/<id>/ (swap form)", f"/swaps/new/{person['template']}/", "bench"),
    ]
    if person["swap"]:
        urls.append(("/swaps/<id>/status/ (status JSON, the poll)", f"/swaps/{person['swap']}/status/", "status"))
    rows = []
    for label, path, expect in urls:
        conn = _connection(base)
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
        if response.status != 200 or expect not in body:
            raise RuntimeError(f"{path} signed in answered {response.status} without {expect!r}")
        for _ in range(20):
            _get(_connection(base), base + path, cookie)
        rows.append((SIGNED_IN + label, load(base + path, cookie)))
    return rows


@dataclass
class WatchersResult:
    count: int
    opened: int
    open_seconds: float
    without: Load
    with_them: Load
    push_rss_mb: float


def measure_watchers(base: str, push: Uvicorn, person: dict, load) -> WatchersResult:
    """The gallery's rate with no result page open, then with len(watched) open (event streams of the push
    process), in the same run."""
    gallery = base + "/templates/"
    without = load(gallery)
    watchers = Watchers(push.url, person["watcher_cookie"], person["watched"])
    try:
        seconds = watchers.open()
        time.sleep(2)  # let the opening settle
        with_them = load(gallery)
        return WatchersResult(
            count=len(person["watched"]),
            opened=watchers.opened,
            open_seconds=seconds,
            without=without,
            with_them=with_them,
            push_rss_mb=rss_mb(push.pid),
        )
    finally:
        watchers.close()


if __name__ == "__main__":
    main()
