from typing import Any
from urllib.parse import urlencode

from django import template
from wagtail.models import Page

from masthead.discovery import interface
from masthead.news.cache import keys_ignored
from masthead.news.tree import is_site_wide

register = template.Library()


@register.simple_tag
def article_lists(article: Page) -> interface.ArticleLists:
    """Related, Like and the story of `article`, fetched together."""
    return interface.article_lists(article)


@register.inclusion_tag("discovery/ranking.html")
def ranking_widget(within: Page, window: str = interface.WINDOW) -> dict[str, Any]:
    """Most read now under `within` (the home page or a channel); volatile, so the page is not
    tied to its items: ranking.js refreshes it from the API."""
    with keys_ignored():
        items = interface.ranking(within=within, window=window)
    query = {"window": window, "limit": interface.RANKING_SIZE}
    if not is_site_wide(within):
        query["channel"] = within.pk
    return {"items": items, "refresh_url": f"/api/v1/ranking?{urlencode(query)}"}


@register.inclusion_tag("discovery/recommendation.html")
def recommendation_widget(article: Page) -> dict[str, Any]:
    """The non-personal list the cached page carries; reader.js swaps in the reader's own."""
    with keys_ignored():
        items = interface.recommend_for_page(article)
    return {"items": items}
