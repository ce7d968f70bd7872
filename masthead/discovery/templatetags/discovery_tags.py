from typing import Any
from urllib.parse import urlencode

from django import template
from wagtail.models import Page

from masthead.discovery import interface
from masthead.news.cache import RANKING, keys_ignored, keys_record
from masthead.news.models import HomePage
from masthead.news.selectors import home_list_shown
from masthead.news.tree import is_site_wide

register = template.Library()


@register.simple_tag
def article_lists(article: Page) -> interface.ArticleLists:
    """Related, Like and the story of `article`, fetched together."""
    return interface.article_lists(article)


@register.inclusion_tag("discovery/ranking.html")
def ranking_widget(within: Page, window: str = interface.WINDOW) -> dict[str, Any]:
    """Most read now under `within` (the home page or a channel); on the home page, none of
    the stories Top stories and the sections already show. Volatile, so the page is not tied to
    its items: ranking.js refreshes it from the API."""
    shown = None
    if isinstance(within, HomePage):
        ids, stories = home_list_shown(home=within)
        shown = interface.Shown(ids=set(ids), stories=set(stories))
    with keys_ignored():
        keys_record(RANKING)  # refreshed with the lists (kept when cached as a volatile part)
        items = interface.ranking(within=within, window=window, shown=shown)
    query = {"window": window, "limit": interface.RANKING_SIZE}
    if not is_site_wide(within):
        query["channel"] = within.pk
    return {"items": items, "refresh_url": f"/api/v1/ranking?{urlencode(query)}"}


@register.simple_tag
def article_sidebar(article: Page, within: Page) -> interface.Sidebar:
    """The article page's Recommendation and Ranking, leaving out what its other lists show."""
    with keys_ignored():
        return interface.article_sidebar(article, within=within)


@register.inclusion_tag("discovery/recommendation.html")
def recommendation_widget(article: Page) -> dict[str, Any]:
    """The non-personal list the cached page carries; reader.js swaps in the reader's own."""
    with keys_ignored():
        items = interface.recommend_for_page(article)
    return {"items": items}
