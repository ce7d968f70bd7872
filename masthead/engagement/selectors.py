"""Reads of reader activity: reaction counts and states, and the Ranking lists."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from masthead.engagement import counters, ranking
from masthead.engagement.models import ArticleCounter, Reaction, ReactionSettings
from masthead.engagement.reaction_kinds import InvalidReactionKinds, kinds_parse
from masthead.news.cache import (
    NAV,
    RANKING,
    article_key,
    build_started,
    keys_are_fresh,
    purges_anchor,
    purges_anchored,
)
from masthead.news.compiled import CompiledQuery
from masthead.news.models import ArticlePage

REACTION_SETTINGS_KEY = "reaction-settings"
# Other processes see an edit within this long even with a per-process cache.
REACTION_SETTINGS_SECONDS = 60


@dataclass(frozen=True)
class ReactionConfig:
    kinds: dict[str, str]
    show_count_on_listings: bool


def _reaction_config_load() -> ReactionConfig:
    row = ReactionSettings.objects.first()
    if row is None:
        return ReactionConfig(dict(settings.MASTHEAD_REACTION_KINDS), False)
    try:
        kinds = kinds_parse(row.kinds)
    except InvalidReactionKinds:
        # The admin form refuses such text; a row written around it must not break pages.
        kinds = dict(settings.MASTHEAD_REACTION_KINDS)
    return ReactionConfig(kinds, row.show_count_on_listings)


def reaction_config() -> ReactionConfig:
    """The reaction kinds and display options from Settings > Reactions (cached; before the
    first save, MASTHEAD_REACTION_KINDS)."""
    found = cache.get_or_set(
        REACTION_SETTINGS_KEY, _reaction_config_load, timeout=REACTION_SETTINGS_SECONDS
    )
    return found if isinstance(found, ReactionConfig) else _reaction_config_load()


def reaction_kinds() -> dict[str, str]:
    """{slug: label} of the reaction buttons, in order."""
    return reaction_config().kinds


def reaction_totals(*, article_ids: list[int]) -> dict[int, int]:
    """Total reactions (of the configured kinds) per article, for a listing (one query)."""
    names = [f"reaction:{kind}" for kind in reaction_kinds()]
    rows = ArticleCounter.objects.filter(article_id__in=article_ids, name__in=names).values_list(
        "article_id", "count"
    )
    totals: dict[int, int] = {}
    for article_id, count in rows:
        totals[article_id] = totals.get(article_id, 0) + count
    return totals


# Every counter of one article (its views and each reaction kind): read on every article request.
_ARTICLE_COUNTERS = CompiledQuery(
    lambda article_id: ArticleCounter.objects.filter(article_id=article_id).values_list(
        "name", "count"
    )
)


def reaction_counts(*, article_id: int) -> dict[str, int]:
    """Exact count of every configured reaction kind for an article (one query)."""
    counts = dict.fromkeys(reaction_kinds(), 0)
    for name, count in _ARTICLE_COUNTERS.rows(article_id):
        kind = name.removeprefix("reaction:")
        if kind != name and kind in counts:
            counts[kind] = count
    return counts


def reader_reaction_kinds(*, reader_id: str, article_id: int) -> set[str]:
    return set(
        Reaction.objects.filter(reader_id=reader_id, article_id=article_id).values_list(
            "kind", flat=True
        )
    )


def reaction_states(*, article_id: int, reader_id: str | None = None) -> list[dict]:
    """Every configured kind with its label, exact count and whether this reader chose it."""
    counts = reaction_counts(article_id=article_id)
    mine = reader_reaction_kinds(reader_id=reader_id, article_id=article_id) if reader_id else set()
    return [
        {"kind": kind, "label": label, "count": counts[kind], "active": kind in mine}
        for kind, label in reaction_kinds().items()
    ]


def view_count(*, article_id: int) -> int:
    row = ArticleCounter.objects.filter(article_id=article_id, name=counters.VIEW).first()
    return row.count if row else 0


@dataclass(frozen=True)
class RankedArticle:
    article: ArticlePage
    score: float


# Lists are computed this much longer than shown, so unpublished articles can be dropped.
RANKING_DEPTH = 50


def ranking_top(
    *, window: str, within_path: str, now: datetime | None = None
) -> list[tuple[int, float]]:
    """(article id, score) pairs, best first: one indexed query on the decayed sums
    (`counters.ranking_scores_top`), paid by the periodic refresh (`ranking_refresh`), never
    by a page request except on a cold cache."""
    now = now or timezone.now()
    return counters.backend().top(
        window=ranking.WINDOWS[window], prefix=within_path, now=now, limit=RANKING_DEPTH
    )


def _live_ranked(top: list[tuple[int, float]], limit: int) -> list[RankedArticle]:
    """The first `limit` of `top` that are still live; usually one small query."""
    live = ArticlePage.objects.live().only("id", "title", "url_path", "path", "depth")
    found: dict[int, ArticlePage] = {}
    start, step = 0, max(limit * 2, 8)
    while start < len(top):
        chunk = [article_id for article_id, _ in top[start : start + step]]
        found.update(live.in_bulk(chunk))
        start += step
        if sum(1 for article_id, _ in top[:start] if article_id in found) >= limit:
            break
    return [RankedArticle(found[pk], score) for pk, score in top if pk in found][:limit]


def ranking_compute(
    *, window: str, within_path: str, limit: int, now: datetime | None = None
) -> list[RankedArticle]:
    """The most-read live articles under `within_path` (a tree path) for a window, best first."""
    return _live_ranked(ranking_top(window=window, within_path=within_path, now=now), limit)


def ranking_cache_key(*, window: str, within_path: str) -> str:
    return f"ranking:{window}:{within_path}"


def ranking_cached_top(*, window: str, within_path: str) -> list[tuple[int, float]]:
    """(article id, score) pairs as the periodic refresh left them in the cache; computed once
    here when the cache is cold."""
    key = ranking_cache_key(window=window, within_path=within_path)
    top = cache.get(key)
    if top is None:
        top = ranking_top(window=window, within_path=within_path)
        cache.set(key, top, timeout=settings.MASTHEAD_RANKING_CACHE_SECONDS)
    return top


@dataclass(frozen=True)
class _Served:
    """A served list as this process last built it: when, until when at most, and the surrogate
    keys whose purge makes it stale: its articles; Ranking, which the periodic refresh
    purges after writing new lists; and the channel structure, whose renames and moves change
    the articles' URLs without purging each article."""

    items: list[RankedArticle]
    keys: frozenset[str]
    built_at: float
    expires: float


# Served lists kept in this process, one per (window, scope, limit); a few dozen at most.
_served: dict[tuple[str, str, int], _Served] = {}
SERVED_MAX = 1024


def ranking_list(*, window: str, within_path: str, limit: int) -> list[RankedArticle]:
    """Ranking as served to pages: the list the periodic refresh computed (a cache lookup), then
    the articles still live, kept in this process's memory until the refresh purges Ranking, a
    purge touches one of the list's articles (unpublished, moved, edited), or
    MASTHEAD_RANKING_CACHE_SECONDS pass (a list recomputed on a cold cache is not purged).

    Kept, a served list costs one read of the purge sequence, and nothing inside a request,
    which reads it once for the whole page. Callers get the shared list and must not mutate it.
    """
    key = (window, within_path, limit)
    served = _served.get(key)
    if (
        served is not None
        and time.monotonic() < served.expires
        and keys_are_fresh(served.keys, built_at=served.built_at)
    ):
        if purges_anchored():
            return served.items
        # A cache emptied since: build once more, against a sequence the next serve can check.
        purges_anchor()
    # Before the cached list is read: a refresh that lands from here on makes this list stale.
    built_at = build_started()
    top = ranking_cached_top(window=window, within_path=within_path)
    items = _live_ranked(top, limit)
    # Every article of the cached list, not only those shown: one published again comes back.
    keys = frozenset([RANKING, NAV, *(article_key(article_id) for article_id, _ in top)])
    if len(_served) >= SERVED_MAX:
        _served.clear()
    expires = time.monotonic() + settings.MASTHEAD_RANKING_CACHE_SECONDS
    _served[key] = _Served(items, keys, built_at, expires)
    return items


def ranking_served_forget() -> None:
    """Drop the served lists this process keeps (tests, after emptying the cache)."""
    _served.clear()
