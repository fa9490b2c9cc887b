"""`make prod-smoke`: the production start, end to end, on this machine, then everything stopped again.

collectstatic, gunicorn (2 workers) and one swap worker with DEBUG=False against PostgreSQL (DATABASE_URL),
Redis (REDIS_URL) and a SeaweedFS S3 server started here; then as a visitor would: /healthz, a static
file, sign up, upload two photos, a swap over HTTP, the result fetched through its presigned URL.
Plain HTTP on loopback, so the secure-cookie flags are off for this run only.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from testing import FACES_DIR
from testing.servers import (
    REPO_DIR,
    Gunicorn,
    RQWorker,
    SeaweedFS,
    production_environ,
    stopping,
    throwaway_database,
    wait_for,
)

PHOTOS = ("man_single_obama.jpg", "woman_single_astronaut.png")


def step(message: str) -> None:
    print(f"prod-smoke: {message}", flush=True)


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


# What a refused form says (Django's error lists).
ERRORS = r'class="errorlist[^>]*>(.*?)</'


def form_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    page.raise_for_status()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise AssertionError(f"no CSRF token on {url}")
    return match.group(1)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def run(tmp: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"prod-smoke needs {name} (PostgreSQL and Redis on this machine)")
    s3 = SeaweedFS(bucket="faceswap-smoke")
    step("starting SeaweedFS (weed mini on 127.0.0.1)")
    s3.start()
    with stopping(s3), throwaway_database(os.environ["DATABASE_URL"], suffix="smoke") as database_url:
        env = production_environ(tmp, s3, database_url)
        step("migrate, collectstatic, storage_setup, seed_demo")
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "storage_setup")
        manage(env, "seed_demo")
        web = Gunicorn(env=env, workers=2, log_path=tmp / "gunicorn.log")
        worker = RQWorker(env=env, log_path=tmp / "worker.log")
        step("starting gunicorn (2 workers) and one swap worker")
        web.start()
        with stopping(worker, web):
            worker.start()
            try:
                visit(web.url, s3, web.log)
            except BaseException:
                for name in ("gunicorn.log", "worker.log"):
                    print(f"--- {name} (tail) ---\n{(tmp / name).read_text(errors='replace')[-4000:]}", file=sys.stderr)
                raise
        check(not any((tmp / "media").rglob("*")), "something was written to the local media folder")
    step("stopped everything; passed")


def visit(base: str, s3: SeaweedFS, web_log) -> None:
    session = requests.Session()

    def healthy() -> dict:
        response = session.get(f"{base}/healthz", timeout=10)
        return response.json() if response.status_code == 200 else {}

    body = wait_for(healthy, timeout=60, what="/healthz 200")
    step(f"/healthz: {body['checks']}")

    home = session.get(f"{base}/", timeout=30)
    check(home.status_code == 200, f"home page: {home.status_code}")
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)
    check(css is not None, "the page links no hashed site.css")
    static = session.get(base + css.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10)
    check(static.status_code == 200 and "text/css" in static.headers["Content-Type"], f"static: {static.status_code}")
    check(
        "immutable" in static.headers.get("Cache-Control", ""), f"static cache: {static.headers.get('Cache-Control')}"
    )
    check(static.headers.get("Content-Encoding") == "gzip", "static file not compressed")
    step(f"static {css.group(1)}: {static.headers['Cache-Control']}, gzip")

    gallery = session.get(f"{base}/templates/", timeout=30)
    check(gallery.status_code == 200, f"gallery: {gallery.status_code}")
    thumb = re.search(r'<img src="([^"]+)"[^>]*loading="lazy"', gallery.text)
    check(thumb is not None and thumb.group(1).startswith(s3.endpoint_url), "gallery thumbnails are not S3 URLs")
    public = requests.get(thumb.group(1), timeout=10)
    check(public.status_code == 200 and "immutable" in public.headers.get("Cache-Control", ""), "public thumbnail")
    template_id = re.search(r'href="/templates/(\d+)/"', gallery.text).group(1)
    step(f"gallery: template thumbnails straight from S3 ({public.headers['Cache-Control']})")

    username = f"smoke{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    token = form_token(session, f"{base}/accounts/signup/")
    signup = session.post(
        f"{base}/accounts/signup/",
        data={
            "csrfmiddlewaretoken": token,
            "email": f"{username}@example.com",
            "username": username,
            "password1": password,
            "password2": password,
        },
        headers={"Referer": f"{base}/accounts/signup/"},
        allow_redirects=False,
        timeout=30,
    )
    check(signup.status_code == 302, f"sign up: {signup.status_code} {signup.text[:2000]}")
    step(f"signed up as {username}")
    # Production verifies e-mail addresses before log-in: the confirmation mail goes to the web process's
    # output (console e-mail backend); follow its link as the person would, then log in.
    link = wait_for(
        lambda: (re.findall(r"https?://[^\s\"]+/accounts/confirm-email/[^\s\"/]+/", web_log()) or [None])[-1],
        timeout=30,
        what="the confirmation e-mail",
    )
    confirm_path = urlsplit(link).path
    token = form_token(session, f"{base}{confirm_path}")
    confirmed = session.post(
        f"{base}{confirm_path}",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}{confirm_path}"},
        allow_redirects=False,
        timeout=30,
    )
    check(confirmed.status_code == 302, f"confirm e-mail: {confirmed.status_code} {confirmed.text[:2000]}")
    token = form_token(session, f"{base}/accounts/login/")
    login = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": username, "password": password},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    check(login.status_code == 302, f"log in: {login.status_code} {login.text[:2000]}")
    step("confirmed the e-mail address and logged in")

    token = form_token(session, f"{base}/photos/")
    files = [("photos", (name, (FACES_DIR / name).read_bytes())) for name in PHOTOS]
    upload = session.post(
        f"{base}/photos/",
        data={"csrfmiddlewaretoken": token},
        files=files,
        headers={"Referer": f"{base}/photos/"},
        allow_redirects=False,
        timeout=60,
    )
    check(upload.status_code == 302, f"upload: {upload.status_code} {upload.text[:2000]}")
    photo_ids = sorted({int(pk) for pk in re.findall(r'href="/photos/(\d+)/"', session.get(f"{base}/photos/").text)})
    check(len(photo_ids) == 2, f"expected 2 photos, found {photo_ids}")
    step(f"uploaded two photos: {photo_ids}")

    swap_url = f"{base}/swaps/new/{template_id}/"
    token = form_token(session, swap_url)
    by_name = {}
    for pk in photo_ids:
        detail = session.get(f"{base}/photos/{pk}/", timeout=30).text
        by_name[next(name for name in PHOTOS if Path(name).stem in detail)] = pk
    submit = session.post(
        swap_url,
        # A first swap asks the person to confirm once that the face chosen as theirs is their own.
        data={
            "csrfmiddlewaretoken": token,
            "husband_photo": by_name[PHOTOS[0]],
            "wife_photo": by_name[PHOTOS[1]],
            "this_is_me": "on",
        },
        headers={"Referer": swap_url},
        allow_redirects=False,
        timeout=60,
    )
    check(
        submit.status_code == 302 and "/swaps/" in submit.headers["Location"],
        f"swap: {submit.status_code} {re.findall(ERRORS, submit.text, re.S)}",
    )
    task_path = urlsplit(submit.headers["Location"]).path
    step(f"swap submitted: {task_path}")

    # The partner's face waits for the partner's agreement: they open the invitation link the page shows,
    # in their own browser and without an account, and agree.
    waiting = session.get(f"{base}{task_path}", timeout=30).text
    invite_url = next(iter(re.findall(r'value="(https?://[^"]+/consent/[^"/]+/)"', waiting)), None)
    check(invite_url is not None, "the swap page shows no invitation link for the partner")
    invite_path = urlsplit(invite_url).path
    partner = requests.Session()
    token = form_token(partner, f"{base}{invite_path}")
    agreed = partner.post(
        f"{base}{invite_path}agree/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}{invite_path}"},
        allow_redirects=False,
        timeout=30,
    )
    check(
        agreed.status_code == 302 and "/consent/agreed/" in agreed.headers["Location"],
        f"partner's agreement: {agreed.status_code} {agreed.text[:2000]}",
    )
    step("the partner agreed through the invitation link, without an account")

    def finished() -> dict:
        status = session.get(f"{base}{task_path}status/", timeout=10).json()
        return status if status["finished"] else {}

    status = wait_for(finished, timeout=180, what="the swap")
    check(status["status"] == "completed", f"swap ended {status}")
    page = session.get(f"{base}{task_path}", timeout=30).text
    result_path = re.search(r'src="(/photos/\d+/file/)"[^>]*id="result-image"', page).group(1)
    redirect = session.get(base + result_path, allow_redirects=False, timeout=10)
    check(redirect.status_code == 302, f"result: {redirect.status_code}")
    presigned = redirect.headers["Location"]
    check(presigned.startswith(s3.endpoint_url) and "X-Amz-Signature" in presigned, "not a presigned S3 URL")
    result = requests.get(presigned, timeout=30)  # no cookies: the URL itself is the permission
    check(result.status_code == 200 and result.headers["Content-Type"] == "image/jpeg", "presigned fetch")
    from PIL import Image

    picture = Image.open(io.BytesIO(result.content))
    picture.load()
    step(f"swap completed; result {picture.size[0]}x{picture.size[1]} fetched through its presigned URL")
    anonymous = requests.get(base + result_path, allow_redirects=False, timeout=10)
    check(anonymous.status_code == 302 and "/accounts/login/" in anonymous.headers["Location"], "result not private")
    check(requests.get(presigned.split("?")[0], timeout=10).status_code == 403, "the result object is public")


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faceswap-prod-smoke-") as tmp:
        run(Path(tmp))
    step(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
