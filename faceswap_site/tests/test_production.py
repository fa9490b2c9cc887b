"""The production start: settings it refuses to start without, `check --deploy`, JSON logs, Sentry."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from testing import REPO_DIR

PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "x7-production-test-key-" + "k" * 40,
    "ALLOWED_HOSTS": "faceswap.example.com",
    "DATABASE_URL": "postgres://faceswap@db.example.com:5432/faceswap",
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "STORAGE_BACKEND": "s3",
    "AWS_STORAGE_BUCKET_NAME": "faceswap-media",
    "AWS_S3_REGION_NAME": "eu-west-1",
    "SECURE_SSL_REDIRECT": "True",
    "BEHIND_PROXY": "True",
    "TRUSTED_PROXY_COUNT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
    "SECURE_HSTS_PRELOAD": "True",
}


def run_site(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run Python in the project with exactly this environment (nothing from the test run's)."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_DIR, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_production_environment():
    result = run_site(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_behind_a_proxy_without_a_trusted_proxy_count():
    env = {key: value for key, value in PRODUCTION.items() if key != "TRUSTED_PROXY_COUNT"}
    result = run_site(["manage.py", "check", "--deploy"], env)
    assert (
        "faceswap_site.W001" in result.stderr + result.stdout and "TRUSTED_PROXY_COUNT" in result.stderr + result.stdout
    )
    header = run_site(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                      {**env, "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"})  # fmt: skip
    assert header.returncode == 0, header.stdout + header.stderr


@pytest.mark.parametrize(
    ("missing", "error_id"),
    [
        ("SECRET_KEY", "faceswap_site.E001"),
        ("DATABASE_URL", "faceswap_site.E003"),
        ("REDIS_URL", "faceswap_site.E004"),
        ("AWS_STORAGE_BUCKET_NAME", "faceswap_site.E005"),
        ("STORAGE_BACKEND", "faceswap_site.E005"),
    ],
)
def test_the_wsgi_app_refuses_to_start_without_a_production_setting(missing, error_id):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = run_site(["-c", "import faceswap_site.wsgi"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and error_id in result.stderr, result.stderr[-2000:]
    # Management commands (the workers' rqworker too) refuse as well, through the system checks.
    check = run_site(["manage.py", "check"], env)
    assert check.returncode != 0 and error_id in check.stderr


def test_the_wsgi_app_starts_with_the_production_environment():
    result = run_site(["-c", "import faceswap_site.wsgi; print('started')"], PRODUCTION)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("started")


@pytest.fixture
def json_logs():
    """The production logging (JSON lines) for one test, read back; then the test settings' logging again."""
    import io

    from django.conf import settings

    from faceswap_site.observability import logging_config

    logging.config.dictConfig(logging_config(fmt="json", level="INFO"))
    buffer = io.StringIO()
    # The handler writes to stdout in production; here into a buffer the test reads.
    (handler,) = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    handler.setStream(buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    try:
        yield lines
    finally:
        logging.config.dictConfig(settings.LOGGING)


@pytest.mark.django_db
def test_log_lines_are_json_with_the_request_id(client, json_logs):
    request_id = uuid.uuid4().hex
    response = client.get("/no-such-page/", headers={"X-Request-ID": request_id})
    assert response.status_code == 404
    assert response["X-Request-ID"] == request_id
    (line,) = [line for line in json_logs() if line["logger"] == "django.request"]
    assert line["level"] == "WARNING" and "Not Found: /no-such-page/" in line["message"]
    assert line["request_id"] == request_id
    assert {"time", "job_id", "task_id"} <= set(line)


def log_inside_a_job(task_id: int) -> None:
    logging.getLogger("swaps.services").info("making swap")


def test_log_lines_inside_a_job_carry_the_job_and_task_id(json_logs):
    import fakeredis
    from rq import Queue, SimpleWorker

    connection = fakeredis.FakeRedis()
    queue = Queue("swaps", connection=connection)
    job = queue.enqueue(log_inside_a_job, 42)
    SimpleWorker([queue], connection=connection).work(burst=True)
    (line,) = [line for line in json_logs() if line["message"] == "making swap"]
    assert line["task_id"] == 42 and line["job_id"] == job.id


class _SentryIntake(BaseHTTPRequestHandler):
    """A Sentry server's intake, on loopback: keeps every envelope posted to it."""

    envelopes: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            import gzip

            body = gzip.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


def test_errors_reach_sentry_when_sentry_dsn_is_set():
    server = HTTPServer(("127.0.0.1", 0), _SentryIntake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
    script = (
        "import django, logging; django.setup(); import sentry_sdk;"
        "logging.getLogger('swaps.services').error('swap failed for a test');"
        "sentry_sdk.flush(timeout=10)"
    )
    try:
        env = {"SENTRY_DSN": dsn, "DJANGO_SETTINGS_MODULE": "faceswap_site.settings", "LOG_FORMAT": "json"}
        result = run_site(["-c", script], env)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    assert any(b"swap failed for a test" in envelope for envelope in _SentryIntake.envelopes)
    # The error line itself still goes to stdout, as JSON.
    assert json.loads(result.stdout.splitlines()[-1])["message"] == "swap failed for a test"
