"""Helpers shared by the test suites: the shared test photos and the real services tests may need."""

import os
import subprocess
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
FACES_DIR = Path(os.environ.get("FACES_TESTDATA_DIR", REPO_DIR.parent / "shared" / "testdata" / "faces"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs something missing here; under CI=true a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


def require_faces_dir() -> Path:
    if not FACES_DIR.is_dir():
        skip_or_fail(f"the shared test photos are not at {FACES_DIR} (set FACES_TESTDATA_DIR)")
    return FACES_DIR


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")


def require_redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("needs a real Redis: set REDIS_URL=redis://...")
    return url


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a process started by a test: the test database, media folder and Redis."""
    import os

    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class ChildProcess:
    """A process a test started, its output in log_path: read with log(), ended with stop()."""

    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except Exception:
                self.process.kill()
                self.process.wait()
        self._log.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebServer(ChildProcess):
    """A real web server process (gunicorn or `manage.py runserver`) on the test database and media folder."""

    def __init__(self, kind: str, log_path: Path, **env: str) -> None:
        import sys

        from django.conf import settings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        bind = f"127.0.0.1:{self.port}"
        if kind == "runserver":
            command = [sys.executable, "manage.py", "runserver", "--noreload", bind]
        else:
            # gthread with 8 threads, as in production; command-line flags override any gunicorn.conf.py.
            gunicorn = str(Path(sys.executable).with_name("gunicorn"))
            command = [gunicorn, "--bind", bind, "--workers", "1", "--worker-class", kind, "--threads", "8"]
            command += ["--timeout", "120", "faceswap_site.wsgi:application"]
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=service_env(**env), stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_until_ready(self, timeout: float = 60) -> None:
        import time

        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.log()}")
            try:
                requests.get(self.url + "/", timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"the server did not start within {timeout} s:\n{self.log()}")


def logged_in_session(user, base_url: str):
    """A requests.Session logged in as user (a real session row) with a CSRF cookie and header."""
    import requests
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    token = "a" * 32  # Django accepts any 32-character secret as long as cookie and header agree.
    session.cookies.set(settings.CSRF_COOKIE_NAME, token)
    session.headers.update({"X-CSRFToken": token, "Referer": base_url + "/"})
    return session
