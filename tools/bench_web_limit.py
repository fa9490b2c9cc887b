"""The limit line of `make bench-web`: a bare WSGI app answering the gallery's bytes from memory.

Served by the same gunicorn settings as the site, it shows what this machine and server can do at most
(no Django, no cache lookup, no database): the site's figures are read against it.
"""

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
