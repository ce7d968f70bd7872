"""Purging surrogate keys in the front cache (Varnish with the xkey module, deploy/varnish/).

Each URL in MASTHEAD_FRONT_CACHE_URLS receives `PURGE /` with the keys in an `xkey-purge`
header; the shipped VCL accepts it from the addresses in its `purgers` ACL and purges every
object tagged with any of the keys. A front cache that cannot be reached is logged and skipped:
the change is saved either way, and its objects expire after MASTHEAD_FRONT_CACHE_MAX_AGE.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

PURGE_TIMEOUT_SECONDS = 2.0
# Varnish caps a request header at 8 KB by default; a big purge goes in several requests.
KEYS_PER_REQUEST = 200

# One client per process, made on first use (after gunicorn forks its workers): `httpx.request`
# builds a client, and with it a TLS context from the CA bundle, on every call (about 28 ms of
# CPU per purge, against under 1 ms with a kept client). No kept-alive connections: purges are
# rare, and a connection the cache has closed in between would lose a purge.
_client: tuple[int, httpx.Client] | None = None


def _http() -> httpx.Client:
    # Imported on the first purge: httpx brings its command-line tool's rich and click (about
    # 0.15 s of CPU), which a web worker pays at start-up otherwise, on every site, Varnish or not.
    import httpx

    global _client
    if _client is None or _client[0] != os.getpid():
        limits = httpx.Limits(max_keepalive_connections=0)
        _client = (os.getpid(), httpx.Client(timeout=PURGE_TIMEOUT_SECONDS, limits=limits))
    return _client[1]


def purge(keys: Sequence[str], *, not_before: float = 0.0, hard: bool = False) -> None:
    """Purge `keys` in every configured front cache, not before the time `not_before`.

    A soft purge (the default) leaves the old copy to be served for at most the VCL's
    `req.grace` while one fetch renders the new page; a `hard` one removes it at once."""
    if not settings.MASTHEAD_FRONT_CACHE_URLS:
        return
    wait = not_before - time.time()
    if wait > 0:
        time.sleep(wait)
    for url in settings.MASTHEAD_FRONT_CACHE_URLS:
        for start in range(0, len(keys), KEYS_PER_REQUEST):
            _purge_one(url, keys[start : start + KEYS_PER_REQUEST], hard=hard)


def purge_again_later(keys: Sequence[str]) -> None:
    """Purge `keys` once more, MASTHEAD_FRONT_CACHE_REPURGE_MS from now (0: never).

    A page that a reader's request was still fetching from gunicorn when the purge reached
    Varnish (its render read the content from before the change, or came from the page cache,
    and was checked just before the purge was written) is stored after the purge and would
    stay until the next one; the repeat removes it while the change is still new, and hard, so
    that copy is not served in grace while its replacement renders. It costs one more render of
    each purged page.
    """
    delay_ms = settings.MASTHEAD_FRONT_CACHE_REPURGE_MS
    if not settings.MASTHEAD_FRONT_CACHE_URLS or delay_ms <= 0:
        return
    # Not a daemon: a command that purges and exits (an ingestion run) still sends it.
    threading.Timer(delay_ms / 1000, purge, args=(list(keys),), kwargs={"hard": True}).start()


def _purge_one(url: str, keys: Sequence[str], *, hard: bool = False) -> None:
    import httpx  # loaded by `_http` already: a lookup

    try:
        headers = {"xkey-purge": " ".join(keys)}
        if hard:
            headers["xkey-hard"] = "1"
        response = _http().request("PURGE", url, headers=headers)
    except httpx.HTTPError as error:
        logger.warning("front cache %s not purged (%s): %s", url, error, " ".join(keys))
        return
    if response.status_code != 200:
        logger.warning(
            "front cache %s refused the purge (%s): %s", url, response.status_code, " ".join(keys)
        )
