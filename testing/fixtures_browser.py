"""The browser fixture: headless Debian Chromium driven by Playwright (never `playwright install`), one per
test process, a fresh context per page. Every test using it is marked `browser` (see testing/plugin.py), so
`make test-fast` leaves it out."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from testing import REPO_DIR, skip_or_fail

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM = Path("/usr/bin/chromium")


LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Chromium:
    """Playwright and one headless Chromium for the whole session of this process (one per pytest-xdist
    worker), started by the first test that asks for a browser: starting both took a second or two of
    CPU per test, for 80 tests. Tests stay apart because each gets its pages in contexts of its own
    (cookies, storage, cache, locale), closed after it.

    Playwright's sync API marks its event loop as running in this thread between its calls, and Django
    refuses ORM calls while an event loop runs (SynchronousOnlyOperation): so the mark is put back only
    for the length of a browser test, and taken off again for every other test."""

    def __init__(self) -> None:
        self.manager = None
        self.browser = None
        self.loop = None

    def open(self):
        from playwright.sync_api import sync_playwright

        if self.browser is not None and self.browser.is_connected():
            asyncio._set_running_loop(self.loop)
            return self.browser
        self.close()  # a browser that crashed in an earlier test: start afresh
        self.manager = sync_playwright()
        playwright = self.manager.start()
        self.loop = asyncio.get_running_loop()
        self.browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        return self.browser

    def after_test(self) -> None:
        """Close what the test opened, and take Playwright's loop off this thread until the next browser test."""
        try:
            if self.browser is not None and self.browser.is_connected():
                for context in self.browser.contexts:
                    context.close()
        finally:
            asyncio._set_running_loop(None)

    def close(self) -> None:
        if self.manager is None:
            return
        asyncio._set_running_loop(self.loop)
        try:
            with contextlib.suppress(Exception):
                if self.browser is not None:
                    self.browser.close()
            with contextlib.suppress(Exception):
                self.manager.__exit__()
        finally:
            self.manager = self.browser = self.loop = None
            asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def _chromium():
    chromium = _Chromium()
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def browser(_chromium, monkeypatch):
    """A headless Chromium (this worker's one): open pages in new contexts (browser.new_context() or
    browser.new_page()), which are closed after the test."""
    if not CHROMIUM.exists():
        skip_or_fail("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls in the test are synchronous.
    # For this test only: servers later tests start inherit the environment, and a production start
    # refuses this variable (check --deploy).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    # What a page shows may take a few seconds on a busy machine (a face check, a swap): assertions wait
    # up to 15 s for it rather than Playwright's 5.
    expect.set_options(timeout=15_000)
    shared = _chromium.open()
    try:
        yield shared
    finally:
        _chromium.after_test()


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots and other things to look at, in the ignored artifacts/ folder."""
    path = REPO_DIR / "artifacts"
    path.mkdir(exist_ok=True)
    return path
