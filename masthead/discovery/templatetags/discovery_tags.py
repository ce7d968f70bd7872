from django import template

from masthead.discovery import interface

register = template.Library()


@register.simple_tag
def article_lists(article) -> interface.ArticleLists:
    """Related, Like and the story of `article`, fetched together."""
    return interface.article_lists(article)


@register.inclusion_tag("discovery/recommendation.html")
def recommendation_widget(article) -> dict:
    """The non-personal list the cached page carries; reader.js swaps in the reader's own."""
    return {"items": interface.recommend(None, article)}
