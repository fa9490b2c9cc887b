"""The crawlers' HTTP client: one requests Session with the site's manners and safety rules built in.

- retries with backoff on connection errors, 429 and 5xx, honouring Retry-After (urllib3's `Retry`);
- connect and read timeouts on every request, and a deadline and a byte cap while a picture streams in;
- at most one request per `delay` seconds (politeness), and an honest User-Agent naming the site;
- http and https only; a connection that reaches a private, loopback or link-local address is refused
  at the moment it is made (so redirects and DNS answers that change after a check are covered too),
  unless `allow_private_networks` (tests and local mirrors only).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from .base import CrawlRefused

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK = 64 * 1024


class DisallowedAddress(CrawlRefused):
    """The URL leads to an address the crawler may not reach.

    Not an OSError, so urllib3 does not retry it as a connection error.
    """


@dataclass(frozen=True)
class HttpConfig:
    user_agent: str
    delay: float
    connect_timeout: float
    read_timeout: float
    retries: int
    backoff: float
    retry_after_max: float
    max_bytes: int
    download_deadline: float

    @classmethod
    def from_settings(cls) -> HttpConfig:
        return cls(
            user_agent=settings.CRAWL_USER_AGENT,
            delay=settings.CRAWL_DELAY,
            connect_timeout=settings.CRAWL_CONNECT_TIMEOUT,
            read_timeout=settings.CRAWL_READ_TIMEOUT,
            retries=settings.CRAWL_RETRIES,
            backoff=settings.CRAWL_BACKOFF,
            retry_after_max=settings.CRAWL_RETRY_AFTER_MAX,
            max_bytes=settings.CRAWL_MAX_BYTES,
            download_deadline=settings.CRAWL_DOWNLOAD_DEADLINE,
        )


def address_refusal(address: str) -> str | None:
    """Why the crawler may not connect to this IP address, or None when it may."""
    if settings.CRAWL_ALLOW_PRIVATE_NETWORKS:
        return None
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return (
            f"{address} is a private, loopback or link-local address; the crawler only fetches from the public "
            "internet (CRAWL_ALLOW_PRIVATE_NETWORKS=True allows it for a local mirror)"
        )
    return None


class _GuardedConnection:
    """Refuses private addresses twice: every address the host name resolves to before connecting (so not
    even a TCP handshake reaches them), and the address the socket actually reached, before a byte is
    sent (a DNS answer that changed in between)."""

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
        except OSError:
            addresses = set()  # urllib3 reports the name that does not resolve in its own words
        for address in sorted(addresses):
            reason = address_refusal(address)
            if reason:
                raise DisallowedAddress(f"refused {host}: {reason}")
        sock = super()._new_conn()  # type: ignore[misc]
        reason = address_refusal(sock.getpeername()[0])
        if reason:
            sock.close()
            raise DisallowedAddress(f"refused {self.host}: {reason}")  # type: ignore[attr-defined]
        return sock


class _GuardedHTTPConnection(_GuardedConnection, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def check_url(url: str) -> None:
    """Refuse what is not an absolute http(s) URL, with a plain reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise CrawlRefused(f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'}: {url}")
    if not parts.hostname:
        raise CrawlRefused(f"the URL has no host name: {url}")


class CrawlSession(requests.Session):
    """A requests Session with timeouts, retries, a polite delay, the site's User-Agent and the address guard."""

    def __init__(self, config: HttpConfig | None = None) -> None:
        super().__init__()
        self.config = config or HttpConfig.from_settings()
        # No proxies or .netrc credentials from the environment: a .netrc password must never be sent to
        # whatever host a crawled page points at.
        self.trust_env = False
        self.max_redirects = 5
        self.headers["User-Agent"] = self.config.user_agent
        retry = Retry(
            total=self.config.retries,
            connect=self.config.retries,
            read=self.config.retries,
            status=self.config.retries,
            other=0,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD", "POST"}),
            backoff_factor=self.config.backoff,
            respect_retry_after_header=True,
            retry_after_max=int(self.config.retry_after_max),
            raise_on_status=False,
        )
        adapter = _GuardedAdapter(max_retries=retry)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self._lock = threading.Lock()
        self._next_at = 0.0
        self.requests_sent = 0
        self.delay_slept = 0.0  # seconds spent waiting out the polite delay (benchmarks leave them out)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        check_url(request.url or "")
        # Clients such as pixivpy set their own User-Agent per call; ours says honestly who is asking.
        request.headers["User-Agent"] = self.config.user_agent
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self.config.connect_timeout, self.config.read_timeout)
        with self._lock:
            wait = self._next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
                self.delay_slept += wait
            self.requests_sent += 1
        try:
            return super().send(request, **kwargs)
        finally:
            # Counted from the answer, not from the asking: the server sees at least `delay` between two
            # of our requests however long each took to reach it.
            self._next_at = time.monotonic() + self.config.delay

    def fetch_json(self, url: str, *, what: str, **kwargs: Any) -> tuple[requests.Response, Any]:
        """GET a JSON document; CrawlRefused with a plain reason when it cannot be had or read."""
        response = self._get(url, what=what, allow_status=True, **kwargs)
        try:
            data = response.json()
        except ValueError as exc:
            if response.status_code >= 400:
                raise CrawlRefused(f"{what} failed: {_status(response)}") from exc
            raise CrawlRefused(f"{what} did not answer with JSON ({response.headers.get('Content-Type')})") from exc
        if response.status_code >= 400:
            detail = data.get("message") or data.get("error") if isinstance(data, dict) else None
            suffix = f": {detail}" if isinstance(detail, str) and detail else ""
            raise CrawlRefused(f"{what} failed: {_status(response)}{suffix}")
        return response, data

    def download(self, url: str, *, headers: dict[str, str] | None = None) -> bytes:
        """A picture's bytes, refused while streaming once past the byte cap or the download deadline."""
        limit = self.config.max_bytes
        started = time.monotonic()
        with self._get(url, what="the picture", headers=headers, stream=True) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise CrawlRefused(f"the file is {_mb(int(length))}, over the limit of {_mb(limit)}")
            chunks, total = [], 0
            try:
                for chunk in response.iter_content(CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise CrawlRefused(f"the file is larger than the limit of {_mb(limit)} (stopped reading)")
                    if time.monotonic() - started > self.config.download_deadline:
                        raise CrawlRefused(f"the download took longer than {self.config.download_deadline:g} s")
                    chunks.append(chunk)
            except requests.RequestException as exc:
                raise CrawlRefused(f"the download broke off: {_reason(exc)}") from exc
        return b"".join(chunks)

    def _get(self, url: str, *, what: str, allow_status: bool = False, **kwargs: Any) -> requests.Response:
        try:
            response = self.get(url, **kwargs)
        except DisallowedAddress:
            raise
        except requests.RequestException as exc:
            raise CrawlRefused(f"{what} could not be fetched: {_reason(exc)}") from exc
        if response.status_code >= 400 and not allow_status:
            response.close()
            raise CrawlRefused(f"{what} could not be fetched: {_status(response)}")
        return response


def _status(response: requests.Response) -> str:
    return f"the server answered {response.status_code} {response.reason}"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _reason(exc: BaseException) -> str:
    """A short reason for a requests error (its own messages embed whole object reprs)."""
    if isinstance(exc, requests.Timeout):
        return "it timed out"
    if isinstance(exc, requests.exceptions.RetryError):
        return "too many failed attempts"
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else exc
        reason = getattr(cause, "reason", cause)
        if isinstance(reason, urllib3_exceptions.TimeoutError):
            return "it timed out"
        return f"could not connect ({type(reason).__name__})"
    return type(exc).__name__
