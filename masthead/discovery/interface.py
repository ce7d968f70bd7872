from __future__ import annotations

from dataclasses import dataclass

from wagtail.models import Page

from masthead.engagement.selectors import ranking_list

RANKING_SIZE = 8


@dataclass(frozen=True)
class DiscoveryItem:
    article: Page
    reason: str
    score: float = 0.0


def one_per_story(items: list[DiscoveryItem]) -> list[DiscoveryItem]:
    """Keep the first item of each story cluster.

    The seam for story clusters: until articles are clustered each article is its own story,
    so the list passes through unchanged.
    """
    return items


def ranking(*, within: Page, window: str = "24h", limit: int = RANKING_SIZE) -> list[DiscoveryItem]:
    """Most read now under `within`: the home page (site-wide) or a channel (with sub-channels)."""
    is_site = within.depth <= 2
    reason = "Most read" if is_site else f"Trending in {within.title}"
    ranked = ranking_list(window=window, within_path=within.path, limit=limit)
    return one_per_story([DiscoveryItem(r.article, reason, r.score) for r in ranked])[:limit]
