"""Factories for swap tests: people, their photos, and a couple template with known faces."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from faceswap_site.testing import ChildProcess, service_env
from gallery.models import ImageType
from gallery.services import image_upload


def make_user(django_user_model, name: str):
    return django_user_model.objects.create_user(username=name, email=f"{name}@example.com", password="pw-Secret-123")


def upload_photo(user, path: Path):
    return image_upload(owner=user, file=SimpleUploadedFile(path.name, path.read_bytes()), image_type=ImageType.SOURCE)


def upload_photo_bytes(user, data: bytes, name: str):
    return image_upload(owner=user, file=SimpleUploadedFile(name, data), image_type=ImageType.SOURCE)


def two_people_picture(faces_dir: Path) -> bytes:
    """A photo of the husband with a smaller second person beside him (two real portraits side by side)."""
    man = PILImage.open(faces_dir / "man_single_obama.jpg").convert("RGB")
    # Her face about 0.7 of his: clearly the second person, not an ambiguous pair.
    woman = PILImage.open(faces_dir / "woman_single_astronaut.png").convert("RGB").resize((880, 880))
    canvas = PILImage.new("RGB", (man.width + woman.width, man.height), "white")
    canvas.paste(man, (0, 0))
    canvas.paste(woman, (man.width, 100))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def make_template(path: Path, *, title: str = "Red carpet", husband_right: bool = True, active: bool = True):
    """A template made the way admins make them (faces detected by the engine), roles set by position."""
    from templates.services import template_activate, template_create, template_set_roles

    template = template_create(image_file=ContentFile(path.read_bytes(), name=path.name), title=title, category="movie")
    order = sorted(range(len(template.face_positions)), key=lambda i: template.face_positions[i]["box"][0])
    left, right = ("wife", "husband") if husband_right else ("husband", "wife")
    roles = [None] * len(order)
    roles[order[0]], roles[order[-1]] = left, right
    template = template_set_roles(template=template, roles=roles)
    return template_activate(template=template) if active else template


def jpeg_bytes(color=(200, 180, 160), size=(64, 64)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def alice(django_user_model):
    return make_user(django_user_model, "alice")


@pytest.fixture
def bob(django_user_model):
    return make_user(django_user_model, "bob")


@pytest.fixture
def couple_template(faces_dir):
    return make_template(faces_dir / "couple_man_woman_closeup.jpg")


@pytest.fixture
def alice_photos(alice, faces_dir):
    """Alice's husband photo (a man alone) and wife photo (a woman alone)."""
    return upload_photo(alice, faces_dir / "man_single_obama.jpg"), upload_photo(
        alice, faces_dir / "woman_single_astronaut.png"
    )


class WorkerProcess(ChildProcess):
    """A real `manage.py rqworker swaps` process on the test database, the test's media folder and Redis."""

    def __init__(self, log_path: Path, **env: str) -> None:
        import sys

        from django.conf import settings

        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "swaps"],
            cwd=settings.BASE_DIR,
            env=service_env(**env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_ready(self, timeout: float = 60) -> None:
        """Until the worker has loaded its models and listens on the queue."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.log()}")
            if "Listening on" in self.log():
                return
            time.sleep(0.1)
        raise AssertionError(f"the worker did not start within {timeout} s:\n{self.log()}")

    def horse_pids(self) -> list[int]:
        """Work horses are this worker's children (in their own process groups)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                pids.append(int(stat.parent.name))
        return pids


@pytest.fixture
def rq_worker(tmp_path, transactional_db):
    """Start a real worker (PostgreSQL and Redis required; under CI=true their absence fails)."""
    import django_rq

    from faceswap_site.testing import require_postgres, require_redis_url

    require_postgres()
    require_redis_url()
    django_rq.get_queue("swaps").connection.flushdb()  # no jobs left over from an earlier run
    worker = WorkerProcess(tmp_path / "worker.log")
    try:
        worker.wait_until_ready()
        yield worker
    finally:
        worker.stop()


def wait_for_task(task_id: int, *, until, timeout: float = 60.0):
    """Poll the database until `until(task)` holds; the task, or an AssertionError with its state."""
    import time

    from swaps.models import FaceSwapTask

    deadline = time.monotonic() + timeout
    task = None
    while time.monotonic() < deadline:
        task = FaceSwapTask.objects.get(pk=task_id)
        if until(task):
            return task
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} stayed {task.status} ({task.progress} %) for {timeout} s")


@pytest.fixture
def site_server(transactional_db):
    """The site on a live server for this test only: stopped before the test database is dropped."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost:0")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def artifacts_dir():
    """Screenshots and other things to look at, in the ignored artifacts/ folder."""
    from faceswap_site.testing import REPO_DIR

    path = REPO_DIR / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def browser(monkeypatch):
    """Headless Debian Chromium driven by Playwright (never `playwright install`)."""
    from faceswap_site.testing import skip_or_fail

    if not Path("/usr/bin/chromium").exists():
        skip_or_fail("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls in the test are synchronous.
    # For this test only: servers later tests start inherit the environment, and a production start
    # refuses this variable (check --deploy).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
