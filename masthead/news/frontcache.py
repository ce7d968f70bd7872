"""Purging surrogate keys in the front cache (Varnish with the xkey module, deploy/varnish/).

Each URL in MASTHEAD_FRONT_CACHE_URLS receives `PURGE /` with the keys in an `xkey-purge`
header; the shipped VCL accepts it from the addresses in its `purgers` ACL and purges every
object tagged with any of the keys. A front cache that cannot be reached is logged and skipped:
the change is saved either way, and its objects expire after MASTHEAD_FRONT_CACHE_MAX_AGE.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

PURGE_TIMEOUT_SECONDS = 2.0
# Varnish caps a request header at 8 KB by default; a big purge goes in several requests.
KEYS_PER_REQUEST = 200


def purge(keys: Sequence[str]) -> None:
    """Purge `keys` in every configured front cache."""
    for url in settings.MASTHEAD_FRONT_CACHE_URLS:
        for start in range(0, len(keys), KEYS_PER_REQUEST):
            _purge_one(url, keys[start : start + KEYS_PER_REQUEST])


def _purge_one(url: str, keys: Sequence[str]) -> None:
    try:
        response = httpx.request(
            "PURGE", url, headers={"xkey-purge": " ".join(keys)}, timeout=PURGE_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as error:
        logger.warning("front cache %s not purged (%s): %s", url, error, " ".join(keys))
        return
    if response.status_code != 200:
        logger.warning(
            "front cache %s refused the purge (%s): %s", url, response.status_code, " ".join(keys)
        )
