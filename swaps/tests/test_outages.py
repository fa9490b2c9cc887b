"""Outages (issue 11): Redis stopped and restarted, PostgreSQL unreachable then back, against real processes."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import threading
import time

import pytest
import requests

from faceswap_site.testing import WebServer, free_port, require_postgres, service_env
from swaps.models import FaceSwapTask

from .conftest import WorkerProcess, make_template, upload_photo


class RedisServer:
    """A redis-server of this test's own on a free port, without persistence: a restart loses every key."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def csrf_post(session: requests.Session, url: str, data: dict) -> requests.Response:
    """Fetch the form page for its CSRF token, then post it (no redirects followed)."""
    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, data={**data, "csrfmiddlewaretoken": token}, allow_redirects=False, timeout=60)


def log_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    response = csrf_post(session, base + "/accounts/login/", {"login": username, "password": password})
    assert response.status_code == 302, response.text[:2000]
    return session


@pytest.fixture
def redis_server():
    from faceswap_site.testing import skip_or_fail

    if subprocess.run(["which", "redis-server"], capture_output=True).returncode:
        skip_or_fail("needs redis-server on PATH")
    server = RedisServer()
    yield server
    server.stop()


def test_redis_down_then_back_log_in_works_and_the_pending_swap_completes_by_itself(
    transactional_db, django_user_model, faces_dir, tmp_path, redis_server
):
    require_postgres()
    django_user_model.objects.create_user(username="erin", email="erin@example.com", password="pw-Secret-123")
    erin = django_user_model.objects.get(username="erin")
    husband, wife = (
        upload_photo(erin, faces_dir / "man_single_obama.jpg"),
        upload_photo(erin, faces_dir / "woman_single_astronaut.png"),
    )
    template = make_template(faces_dir / "couple_man_woman_closeup.jpg")
    web = WebServer("gthread", tmp_path / "web.log", REDIS_URL=redis_server.url)
    worker = WorkerProcess(tmp_path / "worker.log", REDIS_URL=redis_server.url)
    try:
        web.wait_until_ready()
        worker.wait_until_ready()
        log_in(web.url, "erin", "pw-Secret-123")

        redis_server.stop()
        session = log_in(web.url, "erin", "pw-Secret-123")  # logs in while Redis is down
        assert session.get(web.url + "/templates/", timeout=30).status_code == 200
        signup = csrf_post(
            requests.Session(),
            web.url + "/accounts/signup/",
            {"email": "fay@example.com", "username": "fay", "password1": "Long-pass-987", "password2": "Long-pass-987"},
        )
        assert signup.status_code == 302, signup.text[:2000]
        submitted = csrf_post(
            session, web.url + f"/swaps/new/{template.pk}/", {"husband_photo": husband.pk, "wife_photo": wife.pk}
        )
        assert submitted.status_code == 302, submitted.text[:3000]
        task = FaceSwapTask.objects.get(user=erin)
        assert task.status == FaceSwapTask.Status.PENDING
        page = session.get(web.url + f"/swaps/{task.pk}/", timeout=30).text
        assert "will start as soon as the worker is back" in page

        redis_server.start()
        back = time.monotonic()
        while time.monotonic() - back < 60:
            task.refresh_from_db()
            if task.status == FaceSwapTask.Status.COMPLETED:
                break
            time.sleep(0.5)
        waited = time.monotonic() - back
        assert task.status == FaceSwapTask.Status.COMPLETED, f"{task.status} after {waited:.0f} s:\n{worker.log()}"
        log_in(web.url, "erin", "pw-Secret-123")
        assert "Cache: Redis unreachable" in web.log()  # the fallback is logged
        assert "Internal Server Error" not in web.log()
    finally:
        web.stop()
        worker.stop()


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL that a test can cut (down) and restore (up)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.up = True
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.open.clear()

    def close(self) -> None:
        self.listener.close()
        self.cut()


def test_postgres_down_gives_a_plain_503_page_and_the_site_recovers_by_itself(transactional_db, tmp_path):
    require_postgres()
    import sys

    from django.conf import settings
    from django.db import connection

    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    # DEBUG=False (handler500 is only used then) passes prod's start-up checks with an S3 bucket that is
    # never contacted: the page below reads the database only.
    static_root = tmp_path / "static"
    production = {
        "DEBUG": "False",
        "STATIC_ROOT": str(static_root),
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": "unused",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=service_env(**production),
        check=True,
    )
    web = WebServer("gthread", tmp_path / "web.log", DATABASE_URL=url, LOG_FORMAT="plain", **production)
    page = web.url + "/templates/999999/"  # a template page: always a query, never the anonymous page cache
    try:
        web.wait_until_ready()
        first = requests.get(page, timeout=30)
        assert first.status_code == 404, web.log()[-3000:]
        proxy.cut()
        down = requests.get(page, timeout=30)
        assert down.status_code == 503
        assert "We will be right back" in down.text and "Traceback" not in down.text
        proxy.up = True
        assert requests.get(page, timeout=30).status_code == 404
    finally:
        web.stop()
        proxy.close()
