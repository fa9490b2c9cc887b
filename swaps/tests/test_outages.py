"""Outages: Redis stopped and restarted, PostgreSQL unreachable then back, against real processes."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time

import pytest
import requests

from swaps.models import FaceSwapTask
from testing import require_postgres
from testing.cast import PASSWORD, form_post, log_in, template_from_photo, upload_photo, user_create
from testing.fixtures_services import service_env, test_database_url, web_server
from testing.servers import RQWorker, free_port

pytestmark = pytest.mark.server


def logged_in(base_url: str) -> requests.Session:
    session = requests.Session()
    response = log_in(session, "erin", base_url=base_url)
    assert response.status_code == 302, response.text[:2000]
    return session


def test_redis_down_then_back_log_in_works_and_the_pending_swap_completes_by_itself(
    transactional_db, faces_dir, tmp_path, redis_server
):
    require_postgres()
    erin = user_create(username="erin")
    husband, wife = (
        upload_photo(erin, faces_dir / "man_single_obama.jpg"),
        upload_photo(erin, faces_dir / "woman_single_astronaut.png"),
    )
    template = template_from_photo(faces_dir / "couple_man_woman_closeup.jpg")
    web = web_server("gthread", tmp_path / "web.log", REDIS_URL=redis_server.url)
    worker = RQWorker(env=service_env(REDIS_URL=redis_server.url), log_path=tmp_path / "worker.log")
    try:
        worker.start(wait=False)
        web.start(ready_path="/")
        worker.wait_until_ready()
        logged_in(web.url)

        redis_server.stop()
        session = logged_in(web.url)  # logs in while Redis is down
        assert session.get(web.url + "/templates/", timeout=30).status_code == 200
        signup = form_post(
            requests.Session(),
            web.url + "/accounts/signup/",
            {"email": "fay@example.com", "username": "fay", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert signup.status_code == 302, signup.text[:2000]
        submitted = form_post(
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
        logged_in(web.url)
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
    url = test_database_url(port=proxy.port)
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
    web = web_server("gthread", tmp_path / "web.log", DATABASE_URL=url, LOG_FORMAT="plain", **production)
    try:
        web.start(ready_path="/")
        page = web.url + "/templates/999999/"  # a template page: always a query, never the anonymous page cache
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
