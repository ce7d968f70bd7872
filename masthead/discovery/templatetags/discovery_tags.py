from typing import Any

from django import template
from wagtail.models import Page

from masthead.discovery import interface

register = template.Library()


@register.simple_tag
def article_lists(article: Page) -> interface.ArticleLists:
    """Related, Like and the story of `article`, fetched together."""
    return interface.article_lists(article)


@register.inclusion_tag("discovery/ranking.html")
def ranking_widget(within: Page, window: str = interface.WINDOW) -> dict[str, Any]:
    """Most read now under `within` (the home page or a channel)."""
    return {"items": interface.ranking(within=within, window=window)}


@register.simple_tag
def article_sidebar(article: Page, within: Page) -> interface.Sidebar:
    """The article page's Recommendation and Ranking, leaving out what its other lists show."""
    return interface.article_sidebar(article, within=within)


@register.inclusion_tag("discovery/recommendation.html")
def recommendation_widget(article: Page) -> dict[str, Any]:
    """The non-personal list the cached page carries; reader.js swaps in the reader's own."""
    return {"items": interface.recommend(None, article)}
