"""GUNICORN_ACCESS_LOG switches gunicorn's access lines on and off (a logging configuration once kept them on)."""

from __future__ import annotations

import pytest
import requests

from testing import require_postgres
from testing.fixtures_services import web_server


@pytest.mark.server
@pytest.mark.parametrize("setting", ["true", "false"])
def test_access_lines_follow_the_setting(setting, transactional_db, tmp_path):
    require_postgres()
    server = web_server("gthread", tmp_path / "web.log", GUNICORN_ACCESS_LOG=setting)
    try:
        server.start(ready_path="/")
        assert requests.get(server.url + "/templates/?marker=access-check", timeout=30).status_code == 200
    finally:
        server.stop()
    lines = [line for line in server.log().splitlines() if "access-check" in line]
    if setting == "true":
        assert lines and '"logger": "gunicorn.access"' in lines[0], server.log()[-2000:]
    else:
        assert lines == [], lines
