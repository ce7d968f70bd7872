"""Reads of reader activity: reaction counts and states, and the Ranking lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from masthead.engagement import counters, ranking
from masthead.engagement.models import ArticleCounter, Reaction
from masthead.news.cache import content_generation
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


def view_count(*, article_id: int) -> int:
    row = ArticleCounter.objects.filter(article_id=article_id, name=counters.VIEW).first()
    return row.count if row else 0


@dataclass(frozen=True)
class RankedArticle:
    article: ArticlePage
    score: float


def ranking_compute(
    *, window: str, within_path: str, limit: int, now: datetime | None = None
) -> list[RankedArticle]:
    """The most-read live articles under `within_path` (a tree path) for a window, best first."""
    now = now or timezone.now()
    # Ask for extra rows: some may be unpublished or expired since they were read.
    top = counters.backend().top(
        window=ranking.WINDOWS[window], prefix=within_path, now=now, limit=limit * 2 + 10
    )
    articles = (
        ArticlePage.objects.live().defer("body").in_bulk([article_id for article_id, _ in top])
    )
    return [RankedArticle(articles[pk], score) for pk, score in top if pk in articles][:limit]


def ranking_list(*, window: str, within_path: str, limit: int) -> list[RankedArticle]:
    """Ranking as served to pages: cached for MASTHEAD_RANKING_CACHE_SECONDS."""
    key = f"ranking:{content_generation()}:{window}:{within_path}:{limit}"
    return cache.get_or_set(
        key,
        lambda: ranking_compute(window=window, within_path=within_path, limit=limit),
        timeout=settings.MASTHEAD_RANKING_CACHE_SECONDS,
    )
