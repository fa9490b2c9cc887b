"""What the tests and the tools share, and the product never imports: where the shared photos are, the
real servers started on 127.0.0.1 (servers), the people, photos and templates tests are made of (cast),
the engine's sample cuts and measures (samples, identity, skin_tone, robustness; drawn_likeness and
trait_variants for drawn art).

The pytest fixtures built on these live in conftest.py at the top of the repository and in the plugins it
loads (testing/fixtures_*.py), one per need, shared by every app's tests.
"""

import os
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
FACES_DIR = Path(os.environ.get("FACES_TESTDATA_DIR", REPO_DIR.parent / "shared" / "testdata" / "faces"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Set by testing/plugin.py under pytest: the running test, and a check that it is marked `server`.
current_test = None
check_marked = None


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs something missing here; under CI=true a missing service is a failure."""
    import pytest

    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


def require_faces_dir() -> Path:
    if not FACES_DIR.is_dir():
        skip_or_fail(f"the shared test photos are not at {FACES_DIR} (set FACES_TESTDATA_DIR)")
    return FACES_DIR


def require_postgres() -> None:
    from django.db import connection

    if check_marked:
        check_marked("PostgreSQL")
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")


def require_redis_url() -> str:
    if check_marked:
        check_marked("a real Redis")
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("needs a real Redis: set REDIS_URL=redis://...")
    return url


def thread_priority() -> int:
    """The calling thread's scheduling priority (nice; Linux sets it per thread)."""
    import threading

    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def priorities_of_calls(monkeypatch, owner, name: str) -> list[int]:
    """`owner.name` wrapped for the test: each call notes the priority of the thread it runs in, on the
    list returned, then goes on as before."""
    real = getattr(owner, name)
    seen: list[int] = []

    def noted(*args, **kwargs):
        seen.append(thread_priority())
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, noted)
    return seen
