"""The content generation: a number that changes whenever published content changes.

Cached pages and fragments carry it in their keys, so a publish, unpublish, move or delete
makes every cached copy stale at once. With Redis it lives in Redis; with a process-local cache
(the embedded default) it is the modification time of a stamp file under var/, so every worker
process on the machine sees a bump immediately.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

KEY = "content-generation"


def _is_shared_cache() -> bool:
    return "locmem" not in str(settings.CACHES["default"]["BACKEND"]).lower()


def _stamp() -> Path:
    return Path(settings.VAR_DIR) / "content-generation"


def content_generation() -> str:
    if _is_shared_cache():
        return str(cache.get_or_set(KEY, 1, timeout=None))
    try:
        return str(os.stat(_stamp()).st_mtime_ns)
    except FileNotFoundError:
        return "0"


def content_generation_bump() -> None:
    """Make every cached page and fragment stale."""
    if _is_shared_cache():
        try:
            cache.incr(KEY)
        except ValueError:
            cache.set(KEY, int(time.time()), timeout=None)
        return
    stamp = _stamp()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    now = time.time_ns()
    os.utime(stamp, ns=(now, now))
