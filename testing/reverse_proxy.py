"""A small real reverse proxy for tests: what a load balancer or nginx does in front of gunicorn.

Run as its own process (`python -m testing.reverse_proxy LISTEN_PORT UPSTREAM_URL`, or `ReverseProxy` from a
test): every request is passed to the upstream with the address it came from appended to X-Forwarded-For
(after whatever the client sent, which is how a client forges entries) and X-Forwarded-Proto set. Clients on
distinct loopback addresses (127.0.0.2, 127.0.0.3, ...; see `session_from`) are distinct visitors to it.
"""

from __future__ import annotations

import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from testing.servers import LOOPBACK, _WebServer, free_port

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


def make_handler(upstream: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: simple and enough for tests

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {key: value for key, value in self.headers.items() if key.lower() not in HOP_BY_HOP}
            forwarded = self.headers.get("X-Forwarded-For")
            peer = self.client_address[0]
            headers["X-Forwarded-For"] = f"{forwarded}, {peer}" if forwarded else peer
            headers["X-Forwarded-Proto"] = "http"
            upstream_conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            try:
                upstream_conn.request(self.command, self.path, body=body, headers=headers)
                answer = upstream_conn.getresponse()
                content = answer.read()
            except OSError as exc:
                self.send_error(502, f"upstream: {exc}")
                return
            finally:
                upstream_conn.close()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _forward

        def log_message(self, format: str, *args) -> None:
            sys.stderr.write(f"{self.client_address[0]} {format % args}\n")

    return Handler


class ReverseProxy(_WebServer):
    """This module's proxy as a process on a free loopback port, in front of `upstream` (a base URL)."""

    def __init__(self, *, upstream: str, log_path: Path) -> None:
        self.upstream = upstream
        self.log_path = log_path

    def start(self, timeout: float = 30, ready_path: str = "/healthz") -> ReverseProxy:
        self.port = free_port()
        self._spawn([sys.executable, "-m", "testing.reverse_proxy", str(self.port), self.upstream])
        self._wait_until_answering(ready_path, timeout)
        return self


def session_from(address: str):
    """A requests.Session whose connections leave from `address` (a loopback address such as 127.0.0.7),
    so the proxy sees it as a client of its own."""
    import requests
    from requests.adapters import HTTPAdapter

    class SourceAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (address, 0)
            return super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", SourceAdapter())
    return session


def main() -> None:
    port, upstream = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer((LOOPBACK, port), make_handler(upstream))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
