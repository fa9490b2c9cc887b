"""The browser fixture: headless Debian Chromium driven by Playwright (never `playwright install`). Every
test using it is marked `browser` (see testing/plugin.py), so `make test-fast` leaves it out."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing import REPO_DIR, skip_or_fail

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser(monkeypatch):
    """A headless Chromium for this test."""
    if not CHROMIUM.exists():
        skip_or_fail("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls in the test are synchronous.
    # For this test only: servers later tests start inherit the environment, and a production start
    # refuses this variable (check --deploy).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    # What a page shows may take a few seconds on a busy machine (a face check, a swap): assertions wait
    # up to 15 s for it rather than Playwright's 5.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
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


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots and other things to look at, in the ignored artifacts/ folder."""
    path = REPO_DIR / "artifacts"
    path.mkdir(exist_ok=True)
    return path
