"""Helpers shared by the test suites: the shared test photos and the real services tests may need."""

import os
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
