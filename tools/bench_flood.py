"""`make bench`, upload flood section: one person's parallel 40-megapixel uploads against another person's page.

The production start (gunicorn gthread, DEBUG=False, PostgreSQL, Redis, S3) on a throwaway database. User A
sends 8 parallel uploads of 40-megapixel JPEGs for --seconds (first the same file again and again, as in
issue 21: a duplicate, so nothing is stored; then distinct pictures, which must be decoded), as a hostile
client would: each thread sends its next upload the moment an answer (or a reset connection) comes, whatever
Retry-After says. User B meanwhile loads My swaps (or --page) every 0.2 s from a process and a session of its own (as
another person's browser is another machine: timed from inside A's process, B's requests waited for A's
threads' interpreter lock, and in A's session for the processor, costs the site does not cause). Printed
per scenario: B's page median and max during the flood against its quiet median measured just before
(target: within 3x), A's answers by status, and the web workers' memory (sum of their RSS) before, at its
peak and 5 s after the flood (target: back within 20 % of before). `--no-limits` runs the same with the
limits off (HEAVY_WORK_PER_USER=1000, DECODE_MEMORY_BUDGET_BYTES=0, UPLOADS_PER_MINUTE=0) for comparison;
`--before <checkout>` runs the same with an earlier commit's site, in the same run (its servers started
beside this checkout's, the scenarios taken in turn, so both see the same machine); `--variant NAME=VALUE`
(repeatable) the same with these environment settings, as a row "variant".

    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m tools.bench_flood [--seconds 30] [--no-limits]
        [--before <checkout>] [--variant NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import multiprocessing
import os
import queue
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests
from PIL import Image as PILImage

from testing.servers import REPO_DIR, Gunicorn, SeaweedFS, production_environ, stopping, throwaway_database

PARALLEL = 8
SIZE = (7300, 5470)  # 39.9 megapixels, under the 40 MP limit

USERS = """
from tools import djangosetup
djangosetup.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
import sys
for name in ["flood-b", "flood-c"] + [f"flood-a{i}" for i in range(int(sys.argv[1]))]:
    user = get_user_model().objects.create_user(username=name, email=name + "@example.com")
    client = Client()
    client.force_login(user)
    print(settings.SESSION_COOKIE_NAME + "=" + client.cookies[settings.SESSION_COOKIE_NAME].value)
print("csrf=" + settings.CSRF_COOKIE_NAME)
"""


def big_jpeg(seed: int) -> bytes:
    """A 40-megapixel JPEG (a smooth picture with some grain, about a phone photo's bytes per pixel)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (SIZE[1] // 64, SIZE[0] // 64, 3), dtype=np.uint8)
    picture = PILImage.fromarray(small).resize(SIZE, PILImage.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def session_for(cookie: str, csrf_name: str, base: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=PARALLEL * 2))
    session.cookies.set(*cookie.split("=", 1))
    token = secrets.token_hex(16)
    session.cookies.set(csrf_name, token)
    session.headers.update({"X-CSRFToken": token, "Referer": base + "/"})
    return session


def workers_rss(master_pid: int) -> dict[int, int]:
    """The resident memory of each of gunicorn's worker processes (children of the master), in bytes."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != master_pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found[int(entry.name)] = int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return found


def worker_rss(master_pid: int) -> int:
    """The resident memory of gunicorn's worker processes together, in bytes."""
    return sum(workers_rss(master_pid).values())


def timed_get(session: requests.Session, url: str) -> float:
    """Milliseconds until the page came; a page that did not come within 60 s (or failed) counts as the
    time waited, so a stalled site shows as such instead of ending the run."""
    started = time.perf_counter()
    with contextlib.suppress(requests.RequestException):
        session.get(url, timeout=60).raise_for_status()
    return (time.perf_counter() - started) * 1000


def page_timer(base: str, page: str, cookie: str, csrf_name: str, ready, stop, samples) -> None:
    """Another person's browser, in a process of its own: `page` (My swaps) every 0.2 s, each put on `samples` as
    (the monotonic time it was asked for, milliseconds until it came), until `stop` is set.

    In a session of its own too: Linux shares the processor between sessions first (autogroups), so in A's
    session B's requests would wait behind A's eight sending threads on this machine's cores, as they never
    do from another person's computer. The server is in a session of its own as well (testing.servers)."""
    os.setsid()
    b = session_for(cookie, csrf_name, base)
    url = base + page
    for _ in range(10):
        timed_get(b, url)  # warm
    ready.set()
    while not stop.is_set():
        started = time.monotonic()
        samples.put((started, timed_get(b, url)))
        time.sleep(0.2)


# A web worker whose memory grew by this much has loaded the picture models (content gate, face detection),
# which add about 300 MB.
MODELS_BYTES = 100 * 1024 * 1024


def warm_up(web: Gunicorn, c: requests.Session, workers: int, seed_base: int = 1000) -> None:
    """Small photos from a third person, 2 at once (the per-person limit: more at once would be refused
    before reaching a worker), until every web worker has loaded what a photo needs (its memory grew by
    the models' size) before memory is measured: a worker left without them loads them during the flood,
    and its memory then rises by the models' size, which is not what the figure is about (and the
    operating system, not the bench, chooses which worker takes a request)."""

    def send(seed: int) -> None:
        rng = np.random.default_rng(seed_base + seed)
        buffer = io.BytesIO()
        PILImage.fromarray(rng.integers(0, 256, (160, 200, 3), dtype=np.uint8)).save(buffer, "JPEG", quality=70)
        c.post(web.url + "/photos/", files={"photos": ("small.jpg", buffer.getvalue(), "image/jpeg")}, timeout=120)

    started = workers_rss(web.process.pid)
    for round_ in range(60):
        threads = [threading.Thread(target=send, args=(2 * round_ + lane,)) for lane in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        now = workers_rss(web.process.pid)
        if len(now) >= workers and all(now[pid] - started.get(pid, now[pid]) >= MODELS_BYTES for pid in now):
            return
    print(f"warning: not every web worker loaded the models while warming up: {now}", flush=True)


def flood(
    web: Gunicorn,
    a: requests.Session,
    b_cookie: str,
    csrf_name: str,
    files: list[bytes],
    seconds: float,
    page: str = "/swaps/",
) -> dict:
    context = multiprocessing.get_context("spawn")
    ready, stop_timer, samples = context.Event(), context.Event(), context.Queue()
    timer = context.Process(
        target=page_timer, args=(web.url, page, b_cookie, csrf_name, ready, stop_timer, samples), daemon=True
    )
    timer.start()
    try:
        return _flood(web, a, files, seconds, ready, samples)
    finally:
        stop_timer.set()
        timer.join(90)


def _taken(samples, until: float) -> list[tuple[float, float]]:
    """The page timings asked for before `until`, waiting for the one under way."""
    taken = []
    while True:
        try:
            started, ms = samples.get(timeout=65)
        except queue.Empty:
            return taken
        taken.append((started, ms))
        if started >= until:
            return taken


def _flood(web: Gunicorn, a: requests.Session, files: list[bytes], seconds: float, ready, samples) -> dict:
    if not ready.wait(120):
        raise RuntimeError("another person's page did not come while warming up")
    time.sleep(2)
    before = worker_rss(web.process.pid)
    quiet_from = time.monotonic()
    quiet: list[float] = []
    while len(quiet) < 30:
        quiet += [ms for started, ms in _taken(samples, time.monotonic()) if started >= quiet_from]
    stop = time.monotonic() + seconds
    statuses: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    next_file = iter(range(10**9))

    def upload() -> None:
        while time.monotonic() < stop:
            with lock:
                data = files[next(next_file) % len(files)]
            try:
                response = a.post(
                    web.url + "/photos/",
                    files={"photos": ("big.jpg", data, "image/jpeg")},
                    allow_redirects=False,
                    timeout=120,
                )
                key = str(response.status_code)
            except requests.RequestException as exc:
                key = type(exc).__name__
            with lock:
                statuses[key] += 1

    flood_from = time.monotonic()
    threads = [threading.Thread(target=upload) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    peak = before
    while time.monotonic() < stop:
        peak = max(peak, worker_rss(web.process.pid))
        time.sleep(0.2)
    # Every page asked for during the flood (one still under way when it ended too, as before).
    during = [ms for started, ms in _taken(samples, stop) if flood_from <= started < stop]
    for thread in threads:
        while thread.is_alive():
            peak = max(peak, worker_rss(web.process.pid))
            thread.join(0.5)
    time.sleep(5)
    after = worker_rss(web.process.pid)
    return {
        "quiet": statistics.median(quiet),
        "median": statistics.median(during),
        "max": max(during),
        "statuses": dict(statuses),
        "before": before,
        "peak": peak,
        "after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="flood time per scenario")
    parser.add_argument("--no-limits", action="store_true", help="also run with the heavy-work limits off")
    parser.add_argument("--before", default="", help="a checkout of an earlier commit, measured in the same run")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="also run this checkout with these environment settings (repeatable: one config with all of them)",
    )
    parser.add_argument("--page", default="/swaps/", help="the page the other person loads (My swaps)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"the flood bench needs {name} (PostgreSQL and Redis)")
    limits_off = {"HEAVY_WORK_PER_USER": "1000", "DECODE_MEMORY_BUDGET_BYTES": "0", "UPLOADS_PER_MINUTE": "0"}
    # (label, site checkout, environment): each with a flooding person of its own, so the distinct pictures
    # are new to each (a picture one config stored would be a duplicate for the next).
    configs = [("limits on", REPO_DIR, {})]
    if args.before:
        configs.insert(0, ("before", Path(args.before).resolve(), {}))
    if args.variant:
        configs.append(("variant", REPO_DIR, dict(setting.split("=", 1) for setting in args.variant)))
    if args.no_limits:
        configs.append(("limits off", REPO_DIR, limits_off))
    tmp = Path(tempfile.mkdtemp(prefix="faceswap-bench-flood-"))
    print(f"Making 1 + {PARALLEL * len(configs)} pictures of {SIZE[0]}x{SIZE[1]} ...", flush=True)
    duplicate = big_jpeg(0)
    distinct = [[big_jpeg(1 + n * PARALLEL + seed) for seed in range(PARALLEL)] for n in range(len(configs))]
    rows = []
    s3 = SeaweedFS(bucket="faceswap-bench-flood").start()
    try:
        with (
            stopping(s3),
            throwaway_database(os.environ["DATABASE_URL"], suffix="flood") as database_url,
            contextlib.ExitStack() as servers,
        ):
            env = production_environ(
                tmp, s3, database_url, quiet=True, PHOTO_QUOTA_COUNT="100000", PHOTO_QUOTA_BYTES=str(10**12)
            )
            for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["storage_setup"]):
                subprocess.run(
                    [sys.executable, "manage.py", *command], cwd=REPO_DIR, env=env, check=True, capture_output=True
                )
            cookies = subprocess.run(
                [sys.executable, "-c", USERS, str(len(configs))],
                cwd=REPO_DIR,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            csrf_name = cookies[-1].split("=", 1)[1]
            b_cookie, c_cookie, a_cookies = cookies[0], cookies[1], cookies[2:-1]
            # Every config's server up at once, the scenarios taken in turn: a machine whose load drifts (other
            # work on it) weighs on each config alike.
            sites = []
            for n, (label, checkout, extra) in enumerate(configs):
                web = Gunicorn(
                    env={**env, **extra},
                    workers=args.workers,
                    threads=args.threads,
                    log_path=tmp / f"gunicorn-{n}.log",
                    checkout=checkout,
                ).start(ready_path="/")
                servers.enter_context(stopping(web))
                a = session_for(a_cookies[n], csrf_name, web.url)
                warm_up(web, session_for(c_cookie, csrf_name, web.url), args.workers, seed_base=1000 + 1000 * n)
                # The duplicate scenario: the file is A's photo already (issue 21: nothing stored, no quota).
                a.post(web.url + "/photos/", files={"photos": ("big.jpg", duplicate, "image/jpeg")}, timeout=300)
                sites.append((label, web, a, distinct[n]))
            for scenario in ("same 40 MP file", "distinct 40 MP files"):
                for label, web, a, pictures in sites:
                    print(f"{label}: {scenario} ...", flush=True)
                    files = [duplicate] if scenario == "same 40 MP file" else pictures
                    rows.append((label, scenario, flood(web, a, b_cookie, csrf_name, files, args.seconds, args.page)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    mb = 1024 * 1024
    print(
        f"\nUpload flood: {PARALLEL} parallel uploads by one person for {args.seconds:.0f} s, gunicorn "
        f"{args.workers} workers x {args.threads} threads; another person's {args.page} timed (ms); "
        "web workers' RSS (MB)" + (f"; before: {args.before}" if args.before else "")
    )
    print(
        f"{'':11} {'scenario':22} {'quiet':>6} {'flood':>6} {'ratio':>6} {'max':>6}   {'RSS before':>10} "
        f"{'peak':>6} {'after':>6} {'after/before':>12}   answers to the flood"
    )
    for label, scenario, r in rows:
        ratio = r["median"] / r["quiet"]
        back = r["after"] / r["before"]
        print(
            f"{label:11} {scenario:22} {r['quiet']:6.1f} {r['median']:6.1f} {ratio:5.2f}x {r['max']:6.0f}   "
            f"{r['before'] / mb:10.0f} {r['peak'] / mb:6.0f} {r['after'] / mb:6.0f} {back:11.2f}x   "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(r['statuses'].items()))}"
        )
    print("Targets: flood median within 3x of quiet; RSS after within 1.20x of before.")


if __name__ == "__main__":
    main()
