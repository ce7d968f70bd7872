"""The embedded default's cache: diskcache on SQLite files, shared by every worker process."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from diskcache import DjangoCache

# SQLite's default limit on bound parameters is 999 (older builds); stay well below it.
MANY_CHUNK = 500


class SharedDiskCache(DjangoCache):
    """diskcache's Django backend, keeping its SQLite connections between requests and reading
    many keys in one statement per shard.

    Django closes every cache when a request finishes; for diskcache that closes and reopens each
    shard's SQLite connection per request, which cost more than the page itself. The connections
    are per thread and safe to keep.
    """

    def close(self, **kwargs: Any) -> None:
        pass

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        """Like `get` for each key, in one SELECT per shard: diskcache's own `get_many` runs a
        SELECT per key, and checking a page's surrogate keys reads dozens of them per request.

        Uses diskcache's table layout (string keys are stored raw; values through its `Disk`);
        tests/news/test_cache_backends.py checks the answers against `get`.
        """
        wanted = {self.make_key(key, version=version): key for key in keys}
        fanout = self._cache
        by_shard: dict[int, list[str]] = defaultdict(list)
        for db_key in wanted:
            by_shard[fanout._hash(db_key) % fanout._count].append(db_key)
        found: dict[str, Any] = {}
        now = time.time()
        for index, db_keys in by_shard.items():
            shard = fanout._shards[index]
            for start in range(0, len(db_keys), MANY_CHUNK):
                chunk = db_keys[start : start + MANY_CHUNK]
                # Only "?" placeholders are formatted in; the keys are bound.
                marks = ",".join("?" * len(chunk))
                select = (
                    "SELECT key, mode, filename, value FROM Cache"  # noqa: S608
                    f" WHERE raw = 1 AND key IN ({marks})"
                    " AND (expire_time IS NULL OR expire_time > ?)"
                )
                rows = shard._sql(
                    select,
                    (*chunk, now),
                ).fetchall()
                for db_key, mode, filename, value in rows:
                    try:
                        found[wanted[db_key]] = shard.disk.fetch(mode, filename, value, False)
                    except OSError:  # a file-backed value deleted meanwhile: a miss, as in `get`
                        continue
        return found
