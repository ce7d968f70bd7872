"""The embedded default's cache: diskcache on SQLite files, shared by every worker process."""

from __future__ import annotations

from typing import Any

from diskcache import DjangoCache


class SharedDiskCache(DjangoCache):
    """diskcache's Django backend, keeping its SQLite connections between requests.

    Django closes every cache when a request finishes; for diskcache that closes and reopens each
    shard's SQLite connection per request, which cost more than the page itself. The connections
    are per thread and safe to keep.
    """

    def close(self, **kwargs: Any) -> None:
        pass
