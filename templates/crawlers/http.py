"""The crawlers' HTTP client: one requests Session with the site's manners and safety rules built in.

- retries with backoff on connection errors, 429 and 5xx, honouring Retry-After (urllib3's `Retry`);
- connect and read timeouts on every request; a picture's download has a wall-clock deadline enforced on
  its socket (shut down when the time is up, however slowly the bytes trickle in) and a byte cap;
- every other answer (the sources' JSON) is read with a cap on the bytes received and another on the
  bytes after decompression, checked while it inflates (a gzip bomb is cut, not inflated);
- at most one request per `delay` seconds (politeness), and an honest User-Agent naming the site;
- http and https only; a connection that reaches a private, loopback or link-local address is refused
  at the moment it is made (so redirects and DNS answers that change after a check are covered too),
  unless `allow_private_networks` (tests and local mirrors only).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
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
from .jsonitems import array_items as read_array_items

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
    api_max_bytes: int = 8 * 1024 * 1024
    api_max_decoded_bytes: int = 32 * 1024 * 1024

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
            api_max_bytes=settings.CRAWL_API_MAX_BYTES,
            api_max_decoded_bytes=settings.CRAWL_API_MAX_DECODED_BYTES,
        )


# Never reachable from the public internet even where Python's `is_global` (3.11) says otherwise: IETF
# protocol assignments (192.0.0.0/24) and multicast.
ALWAYS_REFUSED = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("224.0.0.0/4"))
# IPv6 forms that carry an IPv4 address to reach: NAT64 (well-known and local-use prefixes).
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if any(ip in network for network in NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not ip.is_global or ip.is_multicast or any(ip in net for net in ALWAYS_REFUSED if net.version == ip.version):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo:
            return False
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return _is_public(inner)
    return True


def address_refusal(address: str) -> str | None:
    """Why the crawler may not connect to this IP address, or None when it may: anything that is not a
    public internet address (`ipaddress`'s is_global: private, loopback, link-local, carrier-grade NAT,
    benchmarking, reserved ranges), also when carried inside an IPv6 form (mapped, 6to4, NAT64, Teredo)."""
    if settings.CRAWL_ALLOW_PRIVATE_NETWORKS:
        return None
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    allowed = (ipaddress.ip_network(network) for network in settings.CRAWL_ALLOWED_NETWORKS)
    if any(ip.version == network.version and ip in network for network in allowed):
        return None
    if not _is_public(ip):
        return (
            f"{address} is a private, loopback, link-local or otherwise non-public address; the crawler only "
            "fetches from the public internet (CRAWL_ALLOW_PRIVATE_NETWORKS=True allows it for a local mirror)"
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
        # Always streamed, so no body is read without the caps: a body the caller does not stream itself
        # (JSON, a redirect's) is read here, capped.
        streamed = bool(kwargs.get("stream"))
        kwargs["stream"] = True
        try:
            response = super().send(request, **kwargs)
            if not streamed or response.is_redirect:
                self._read_capped(response)
            return response
        finally:
            # Counted from the answer, not from the asking: the server sees at least `delay` between two
            # of our requests however long each took to reach it.
            self._next_at = time.monotonic() + self.config.delay

    def _read_capped(self, response: requests.Response) -> None:
        """Read a whole answer into `response.content`, refusing it past the wire or decoded byte cap."""
        wire_cap, decoded_cap = self.config.api_max_bytes, self.config.api_max_decoded_bytes
        length = response.headers.get("Content-Length", "")
        too_large = f"the answer is larger than the limit of {_mb(wire_cap)}"
        chunks, decoded = [], 0
        try:
            if length.isdigit() and int(length) > wire_cap:
                raise CrawlRefused(too_large)
            for chunk in response.raw.stream(CHUNK, decode_content=True):
                decoded += len(chunk)
                if response.raw.tell() > wire_cap:
                    raise CrawlRefused(too_large)
                if decoded > decoded_cap:
                    raise CrawlRefused(f"the answer inflates past the limit of {_mb(decoded_cap)} (stopped reading)")
                chunks.append(chunk)
        except CrawlRefused:
            response.close()
            raise
        except (urllib3_exceptions.HTTPError, OSError) as exc:
            response.close()
            raise CrawlRefused(f"the answer broke off ({type(exc).__name__})") from exc
        response._content = b"".join(chunks)
        response._content_consumed = True

    def fetch_json(
        self, url: str, *, what: str, array_items: bool = False, **kwargs: Any
    ) -> tuple[requests.Response, Any]:
        """GET a JSON document; CrawlRefused with a plain reason when it cannot be had or read.

        `array_items`: the answer is a list of items read one by one if need be, so an item nested too
        deeply to read becomes a `MalformedItem` in its place and the others are kept.
        """
        response = self._get(url, what=what, allow_status=True, **kwargs)
        try:
            data = response.json()
        except RecursionError as exc:
            if not array_items or response.status_code >= 400:
                raise CrawlRefused(f"{what} answered with JSON nested too deeply to read") from exc
            data = read_array_items(response.text, what=what)
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
        """A picture's bytes, refused while streaming once past the byte cap or the download deadline.

        The deadline is wall-clock, from the request to the last byte, and enforced by the socket: when it
        passes, the connection is shut down under the read that waits on it (a picture trickling in a byte
        at a time never gets past it, whatever the read timeout).
        """
        limit = self.config.max_bytes
        deadline = self.config.download_deadline
        started = time.monotonic()
        late = f"the download took longer than {deadline:g} s"
        timeout = (self.config.connect_timeout, min(self.config.read_timeout, deadline))
        with self._get(url, what="the picture", headers=headers, stream=True, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise CrawlRefused(f"the file is {_mb(int(length))}, over the limit of {_mb(limit)}")
            chunks, total = [], 0
            with _socket_deadline(response, deadline - (time.monotonic() - started)):
                try:
                    for chunk in response.iter_content(CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise CrawlRefused(f"the file is larger than the limit of {_mb(limit)} (stopped reading)")
                        chunks.append(chunk)
                except requests.RequestException as exc:
                    if time.monotonic() - started >= deadline:
                        raise CrawlRefused(late) from exc
                    raise CrawlRefused(f"the download broke off: {_reason(exc)}") from exc
            if time.monotonic() - started >= deadline:
                raise CrawlRefused(late)
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


@contextlib.contextmanager
def _socket_deadline(response: requests.Response, seconds: float) -> Iterator[None]:
    """Shut the response's socket down after `seconds` (a blocked read then returns at once)."""
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    if sock is None:
        # A connection that closes after this answer hands its socket to the answer (http.client).
        reader = getattr(getattr(response.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    if sock is None:  # already read to the end
        yield
        return

    def cut() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(seconds, 0.0), cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


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
