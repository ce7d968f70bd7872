"""Reads of reader activity: reaction counts and states, and the Ranking lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from masthead.engagement import counters, ranking
from masthead.engagement.models import ArticleCounter, Reaction
from masthead.news.models import ArticlePage


def reaction_counts(*, article_id: int) -> dict[str, int]:
    """Exact count of every configured reaction kind for an article (one query)."""
    counts = dict.fromkeys(settings.MASTHEAD_REACTION_KINDS, 0)
    rows = ArticleCounter.objects.filter(article_id=article_id, name__startswith="reaction:")
    for name, count in rows.values_list("name", "count"):
        kind = name.removeprefix("reaction:")
        if kind in counts:
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
        for kind, label in settings.MASTHEAD_REACTION_KINDS.items()
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


def ranking_list(*, window: str, within_path: str, limit: int) -> list[RankedArticle]:
    """Ranking as served to pages: a cache lookup of the list the periodic refresh computed,
    then one query for the articles still live."""
    return _live_ranked(ranking_cached_top(window=window, within_path=within_path), limit)
