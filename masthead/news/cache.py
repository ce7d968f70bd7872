"""Dependency-aware caching: every cached page and fragment records what it shows.

A rendered public page records surrogate keys for everything it shows ("article-12",
"channel-3", "tag-7", "lists-12", "latest", "nav", ...). A change purges exactly the keys it
touches: in Django's cache (a purge time per key, so an entry made before it is stale) and in
the front cache (Varnish xkey, or a CDN through the `Surrogate-Key` / `Cache-Tag` headers).

Recording is one call from anywhere a page is being built (a view, a selector, a template tag):
`keys_record(article_key(12), "latest")`. Outside a page build it does nothing.

Purge times are compared with the time a cached entry's build started, so a purge that lands
while a page is being built makes that page stale too: nothing is cached from before a change.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from masthead.batching import collected
from masthead.news import frontcache

# Keys every public page records: site structure (navigation, channel titles, URLs) and the
# key that empties everything at once (bulk imports, a new site).
NAV = "nav"
ALL = "all"
# The site-wide newest-first listings: home top stories, site feeds, fresh recommendations.
LATEST = "latest"
# The Ranking lists: purged each time the periodic refresh recomputes them.
RANKING = "ranking"
SITEMAP = "sitemap"
# Search results: any article published, edited, unpublished, moved or regrouped may change them.
SEARCH = "search"
# Tolerated clock difference between web nodes when comparing a purge with a build start.
CLOCK_SKEW_SECONDS = 0.05
# How much later than that the front cache is purged (`_purge_now`): timer and clock resolution.
FRONT_PURGE_MARGIN_SECONDS = 0.01
PURGED_PREFIX = "purged:"
PURGE_SEQUENCE = "purge-sequence"
# Purge times a process keeps between purges (a few per page: bounded by the pages it serves).
PURGE_TIMES_MAX = 200_000
# Keys purged one by one at most; a change touching more (a full discovery rebuild changes the
# lists of most articles) purges ALL instead, one write rather than a time per key.
PURGE_KEYS_MAX = 10_000

T = TypeVar("T")

_collector: ContextVar[set[str] | None] = ContextVar("masthead_surrogate_keys", default=None)
# Set while a volatile part is built for its own short-lived cache entry (`cached_volatile`).
_in_volatile: ContextVar[bool] = ContextVar("masthead_in_volatile", default=False)
# While a request checks purges against the purge times synced at its start: that start.
_synced_at: ContextVar[float | None] = ContextVar("masthead_purges_synced_at", default=None)
# Inside `purges_batched`: the keys to purge when the block ends.
_batched: ContextVar[set[str] | None] = ContextVar("masthead_purges_batched", default=None)


def article_key(article_id: int) -> str:
    """Pages showing the article: its own page, listings and lists it appears in."""
    return f"article-{article_id}"


def lists_key(article_id: int) -> str:
    """The article page's embedded discovery lists (Related, Like, the story)."""
    return f"lists-{article_id}"


def channel_key(channel_id: int) -> str:
    """A channel's listing: which articles are in it (its sub-channels included)."""
    return f"channel-{channel_id}"


def tag_key(tag_id: int) -> str:
    """A tag's listing and feeds."""
    return f"tag-{tag_id}"


def page_key(page_id: int) -> str:
    """A page's own fields (the home page's intro and pinned stories, a channel's description)."""
    return f"page-{page_id}"


@contextmanager
def keys_collected() -> Iterator[set[str]]:
    """Collect the keys recorded inside the block; they are recorded in any outer block too."""
    keys: set[str] = set()
    token = _collector.set(keys)
    try:
        yield keys
    finally:
        _collector.reset(token)
        keys_record(*keys)


@contextmanager
def keys_ignored() -> Iterator[None]:
    """Keys recorded inside the block are dropped: for volatile parts (Ranking, the non-personal
    Recommendation) that refresh on their own schedule and must not tie the page to them.

    Inside `cached_volatile` the keys are kept, for that part's own cache entry."""
    if _in_volatile.get():
        yield
        return
    token = _collector.set(set())
    try:
        yield
    finally:
        _collector.reset(token)


def keys_record(*keys: str) -> None:
    """Record that the page being built shows what `keys` name (no-op outside a page build)."""
    collector = _collector.get()
    if collector is not None:
        collector.update(keys)


def keys_record_articles(articles: Iterable[Any]) -> None:
    """Record the articles (pages or ids) a listing or list shows."""
    keys_record(*(article_key(a if isinstance(a, int) else a.pk) for a in articles))


class PurgeTimes:
    """This process's copy of the shared purge times it has read, valid while the shared purge
    sequence (bumped by every purge, after its times are written) stays the same.

    A page checks dozens of surrogate keys on every request; between two purges their times
    cannot change, so one read of the sequence replaces reading them all again.
    """

    def __init__(self) -> None:
        self.sequence: int | None = None
        self.times: dict[str, float] = {}

    def sync(self) -> None:
        """Forget every time read before a purge this process has not seen yet."""
        sequence = cache.get(PURGE_SEQUENCE)
        if sequence != self.sequence:
            self.times = {}
            self.sequence = sequence

    def of(self, keys: Iterable[str]) -> dict[str, float]:
        # One dict throughout: another thread's `sync` may replace `self.times` meanwhile, and
        # times read before its purge must not land in the dict that starts after it.
        times = self.times
        wanted = [*keys, ALL]
        missing = [key for key in wanted if key not in times]
        if missing:
            if len(times) > PURGE_TIMES_MAX:
                times = self.times = {}
                missing = wanted
            found = cache.get_many([PURGED_PREFIX + key for key in missing])
            for key in missing:
                times[key] = found.get(PURGED_PREFIX + key, 0.0)
        return {key: times[key] for key in wanted}

    def purged(self, keys: Iterable[str], at: float) -> None:
        """This process's own purge counts at once, before the next sync."""
        self.times.update(dict.fromkeys(keys, at))


_purge_times_here = PurgeTimes()


@contextmanager
def purges_synced() -> Iterator[None]:
    """Check purges once for the whole block (a request) instead of once per cached value. A
    purge landing during the block is seen by the next one; whatever the block builds counts as
    built at the block's start (`build_started`), so that purge makes it stale."""
    if _synced_at.get() is not None:
        yield
        return
    token = _synced_at.set(time.time())
    _purge_times_here.sync()
    try:
        yield
    finally:
        _synced_at.reset(token)


def build_started() -> float:
    """The time a value built now counts as built at: now, or the start of the synced block."""
    now = time.time()
    synced_at = _synced_at.get()
    return now if synced_at is None else min(now, synced_at)


def _purge_times(keys: Iterable[str]) -> dict[str, float]:
    if _synced_at.get() is None:
        _purge_times_here.sync()
    return _purge_times_here.of(keys)


def keys_are_fresh(keys: Iterable[str], *, built_at: float) -> bool:
    """Whether nothing under `keys` was purged since a build that started at `built_at`."""
    return all(t < built_at - CLOCK_SKEW_SECONDS for t in _purge_times(keys).values())


def purges_anchored() -> bool:
    """Whether the purge times last synced belong to a purge sequence. Without one (a cache
    emptied, or its sequence evicted) every key reads as never purged, so a value kept in a
    process's memory from before cannot be shown fresh by `keys_are_fresh`."""
    return _purge_times_here.sequence is not None


def purges_anchor() -> None:
    """Start a purge sequence if the cache has none, so values kept in processes' memory can be
    checked again (`purges_anchored`) before the next purge."""
    cache.add(PURGE_SEQUENCE, secrets.randbits(48), timeout=None)


def keys_fresh_now(keys: Iterable[str], *, built_at: float) -> bool:
    """`keys_are_fresh` against the purges made up to now by any process (the purge times are
    synced again): for a page about to leave for a shared cache, which keeps it until the next
    purge of its keys, so a purge that landed while it was built must not be missed."""
    _purge_times_here.sync()
    return all(t < built_at - CLOCK_SKEW_SECONDS for t in _purge_times_here.of(keys).values())


def keys_purged_at(keys: Iterable[str]) -> float:
    """When any of `keys` was last purged (0 if never)."""
    return max(_purge_times(keys).values(), default=0.0)


def keys_purge(keys: Iterable[str]) -> None:
    """Make every cached page and fragment showing any of `keys` stale, here and in the front
    cache: here now, and here and in the front cache when the transaction commits, because a
    reader who rebuilt a page in between would have cached the content from before the change.
    Inside `purges_batched`, when the block ends."""
    batched = _batched.get()
    if batched is not None:
        batched.update(keys)
        return
    keys = sorted(set(keys))
    if not keys:
        return
    if len(keys) > PURGE_KEYS_MAX:
        keys = [ALL]
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        _purge_now(keys, front=False)
        _purge_on_commit(connection, keys)
    else:
        _purge_now(keys)


class _OnCommit:
    """The keys one transaction purged, purged again once when it commits."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.done = False

    def purge(self) -> None:
        self.done = True
        keys = sorted(self.keys)
        _purge_now([ALL] if len(keys) > PURGE_KEYS_MAX else keys)


def _purge_on_commit(connection: Any, keys: list[str]) -> None:
    """Add `keys` to the transaction's one purge at commit: a transaction that changes 500
    articles (Wagtail's bulk actions run in one) waits for the front cache once, not 500 times
    one after another in the request. A callback dropped with a rolled-back savepoint is no
    longer in the connection's list, so the next purge registers a new one."""
    pending = getattr(connection, "masthead_purge_on_commit", None)
    if (
        pending is None
        or pending.done
        or not any(
            getattr(entry[1], "__self__", None) is pending for entry in connection.run_on_commit
        )
    ):
        pending = _OnCommit()
        connection.masthead_purge_on_commit = pending
        transaction.on_commit(pending.purge)
    pending.keys.update(keys)


@contextmanager
def purges_batched() -> Iterator[None]:
    """Purge what the block asks to purge once, as it ends (and again on commit, as any purge):
    a bulk write of many articles sends one purge to the cache and the front cache, not one
    per article."""
    keys: set[str] | None = None
    try:
        with collected(_batched, set) as keys:
            yield
    finally:
        if keys is not None:  # None inside an outer block, which purges it all
            keys_purge(keys)


def _purge_now(keys: list[str], *, front: bool = True) -> None:
    """Purge `keys` here and, with `front`, in the front cache, then once more a moment later
    (`frontcache.purge_again_later`). Django's cache needs no repeat: a cached value built
    before a purge is stale whenever it is read.

    The front cache is purged only once the change is committed (`front` is False before): a
    page it fetched again before the commit would show the content from before the change, and
    be purged again at the commit anyway. It hears of the purge CLOCK_SKEW_SECONDS after the
    purge time: the page it then fetches again is built after that time by more than the skew
    `keys_are_fresh` allows for, so it is cached, not built twice (sent `no-cache` as possibly
    older than the purge, and built again on the next request)."""
    now = time.time()
    cache.set_many({PURGED_PREFIX + key: now for key in keys}, timeout=None)
    _purge_sequence_bump()
    _purge_times_here.purged(keys, now)
    if front:
        frontcache.purge(keys, not_before=now + CLOCK_SKEW_SECONDS + FRONT_PURGE_MARGIN_SECONDS)
        frontcache.purge_again_later(keys)


def _purge_sequence_bump() -> None:
    """After the purge times are written: every process drops the times it read before."""
    try:
        cache.incr(PURGE_SEQUENCE)
    except ValueError:
        # A random start, so a cache emptied and purged again never repeats a number a
        # process remembers.
        cache.add(PURGE_SEQUENCE, secrets.randbits(48), timeout=None)
        cache.incr(PURGE_SEQUENCE)


@dataclass(frozen=True)
class Entry:
    value: Any
    keys: frozenset[str]
    built_at: float


def cached_with_keys(name: str, build: Callable[[], T], *, timeout: int) -> T:
    """`build()` cached under `name` until any key it recorded is purged (or `timeout` s pass).

    The keys are recorded again on every hit, so a page made of cached fragments still carries
    all of them.
    """
    entry = cache.get(name)
    if isinstance(entry, Entry) and keys_are_fresh(entry.keys, built_at=entry.built_at):
        keys_record(*entry.keys)
        return entry.value
    built_at = build_started()
    with keys_collected() as keys:
        value = build()
    cache.set(name, Entry(value, frozenset(keys), built_at), timeout=timeout)
    return value


def cached_volatile(name: str, build: Callable[[], T], *, timeout: int) -> T:
    """A volatile part of a page (Ranking, the non-personal Recommendation) cached on its own
    for `timeout` s, or until anything it shows changes; the page around it records none of its
    keys, so it is not purged with it."""
    outside = _collector.set(set())
    flag = _in_volatile.set(True)
    try:
        return cached_with_keys(name, build, timeout=timeout)
    finally:
        _in_volatile.reset(flag)
        _collector.reset(outside)


def content_generation() -> str:
    """A value that changes when the site's structure (navigation, channels, sites) changes or
    everything is purged; fragments that show only structure carry it in their cache keys."""
    return repr(keys_purged_at([NAV]))


# Values that change only with the content generation, kept in this process (see
# `cached_for_generation`); a few generations at most, so memory stays flat.
_GENERATION_VALUES: dict[str, Any] = {}
GENERATION_VALUES_MAX = 64


def cached_for_generation(name: str, build: Callable[[], T], *, timeout: int) -> T:
    """`build()` for the current content generation: from this process's memory when it was
    read for the same generation before (it cannot have changed: a change makes a new
    generation), else from the shared cache, else built. The site structure (Site, sections)
    is read on every request; unpickling it each time cost more than the lookup it serves.

    Callers get the shared value and must not mutate it."""
    key = f"{name}:{content_generation()}"
    if key in _GENERATION_VALUES:
        return _GENERATION_VALUES[key]
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=timeout)
    if len(_GENERATION_VALUES) >= GENERATION_VALUES_MAX:
        _GENERATION_VALUES.clear()
    _GENERATION_VALUES[key] = value
    return value


def content_generation_bump() -> None:
    """Make every cached page and fragment stale (after bulk imports that bypass the signals)."""
    keys_purge([ALL])
