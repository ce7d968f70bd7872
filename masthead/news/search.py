"""Article search over Wagtail's search backend."""

from __future__ import annotations

from dataclasses import dataclass

from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from masthead.news import selectors

MAX_QUERY_LENGTH = 200
ORDERS = ("relevance", "newest")


@dataclass(frozen=True)
class SearchRequest:
    query: str
    order: str = "relevance"
    channel: Page | None = None


def article_search(*, request: SearchRequest):
    """A lazily sliced result set of live articles matching the query (empty query: nothing)."""
    if not request.query:
        return []
    articles = selectors.article_list_latest(within=request.channel)
    by_relevance = request.order == "relevance"
    if not by_relevance:
        articles = articles.order_by("-published_at")
    else:
        articles = articles.order_by()
    return get_search_backend().search(
        request.query, articles, order_by_relevance=by_relevance, operator="and"
    )
