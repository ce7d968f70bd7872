"""HTTP fetching for sources: timeouts, a size cap, bounded redirects, conditional GET."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass

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


def _public_only(request: httpx.Request) -> None:
    """Refuse loopback, private, link-local and reserved addresses, on every hop of a redirect:
    feed items are untrusted, and their links must not reach the machine's own network."""
    if settings.MASTHEAD_INGEST_ALLOW_PRIVATE:
        return
    host = request.url.host
    try:
        infos = socket.getaddrinfo(host, request.url.port or 80, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise FetchError(f"cannot resolve {host}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(f"refused: {host} is a private or local address ({address})")


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET `url`; raises FetchError on network errors, HTTP errors, slowness or size."""
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
                event_hooks={"request": [_public_only]},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code == 304:
                return _fetched(response, b"")
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} from {response.url}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
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
    except httpx.HTTPError as error:
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
