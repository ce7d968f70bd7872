"""HTTP fetching for sources: timeouts, a size cap, bounded redirects, conditional GET."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings

USER_AGENT = "Masthead/1.0 (news ingestion; +https://github.com/masthead-news)"


class FetchError(Exception):
    """A fetch that failed, with a message fit for the source's health view."""


@dataclass
class Fetched:
    status: int
    body: bytes
    url: str
    content_type: str
    etag: str
    last_modified: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# IPv6 forms that carry an IPv4 address inside: the embedded address decides.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated, never routed on the Internet


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global unicast, and not an IPv6 wrapping of a loopback, private or reserved IPv4 address
    (`is_global` alone passes ::127.0.0.1 and 64:ff9b::7f00:1)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in IPV4_COMPATIBLE:
            return False
        embedded = address.ipv4_mapped or address.sixtofour
        if address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not embedded.is_global:
            return False
        if address.teredo is not None and not all(a.is_global for a in address.teredo):
            return False
    return address.is_global


_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


def url_problem(url: str) -> str:
    """Why the fetcher could not fetch `url` as written ("" when it can): the same parsing
    (IDNA, IPv4 forms) as a fetch, so a source saved in the admin never fails on its syntax."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        return f"not a usable address: {error}"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "the address must start with http:// or https:// and name a host"
    labels = parsed.host.split(".")
    if all(_NUMERIC_LABEL.fullmatch(label) for label in labels if label):
        try:
            ipaddress.IPv4Address(parsed.host)
        except ValueError:
            return f"{parsed.host} is a number in a non-standard form; write the address as a.b.c.d"
    if any(c.isspace() or c == "%" for c in parsed.host):
        return f"{parsed.host!r} is not a host name"
    return ""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one lookup; tests replace it with a fickle resolver)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


class CheckedBackend(httpcore.SyncBackend):
    """Resolves each connection's host once, refuses it unless every address is public, and
    connects to the address it checked. Checking and then letting the socket resolve the name
    again would let a name that answers a public address first and 127.0.0.1 next (DNS
    rebinding) reach the local network. Every connection passes here: every redirect hop."""

    def connect_tcp(self, host: str, port: int, *args, **kwargs) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except OSError as error:
            raise FetchError(f"cannot resolve {host}: {error}") from None
        if not addresses:
            raise FetchError(f"cannot resolve {host}")
        if not settings.MASTHEAD_INGEST_ALLOW_PRIVATE:
            for address in addresses:
                if not address_is_public(ipaddress.ip_address(address.split("%")[0])):
                    raise FetchError(f"refused: {host} is a private or local address ({address})")
        return super().connect_tcp(addresses[0], port, *args, **kwargs)


class CheckedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        # httpx takes no network backend of its own; its pool does (TLS still verifies the
        # certificate for the URL's host name, since SNI comes from the URL, not the address).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=CheckedBackend()
        )


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET `url`; raises FetchError on a bad address, network errors, HTTP errors, slowness or size."""
    if problem := url_problem(url):
        raise FetchError(problem)
    limit = settings.MASTHEAD_INGEST_MAX_BYTES
    deadline = time.monotonic() + settings.MASTHEAD_INGEST_TOTAL_SECONDS
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = httpx.Timeout(
        settings.MASTHEAD_INGEST_READ_SECONDS, connect=settings.MASTHEAD_INGEST_CONNECT_SECONDS
    )
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=5,
                timeout=timeout,
                headers=headers,
                transport=CheckedTransport(),
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code == 304:
                return _fetched(response, b"")
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} from {response.url}")
            declared = response.headers.get("Content-Length", "")
            if re.fullmatch(r"[0-9]{1,20}", declared) and int(declared) > limit:
                raise FetchError(f"response of {int(declared):,} bytes is over the {limit:,} limit")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"response is over the {limit:,}-byte limit")
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"server too slow: gave up after {settings.MASTHEAD_INGEST_TOTAL_SECONDS} s"
                    )
                chunks.append(chunk)
            return _fetched(response, b"".join(chunks))
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.TimeoutException as error:
        raise FetchError(f"timed out ({type(error).__name__})") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:  # InvalidURL: a redirect's Location
        raise FetchError(f"{type(error).__name__}: {error}") from None


def _fetched(response: httpx.Response, body: bytes) -> Fetched:
    return Fetched(
        status=response.status_code,
        body=body,
        url=str(response.url),
        content_type=response.headers.get("Content-Type", ""),
        etag=response.headers.get("ETag", ""),
        last_modified=response.headers.get("Last-Modified", ""),
    )
