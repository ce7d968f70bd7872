from django import template
from django.conf import settings

from masthead import discovery
from masthead.engagement import selectors

register = template.Library()


@register.inclusion_tag("engagement/reactions.html")
def reaction_buttons(article_id: int) -> dict:
    """Each reaction kind with its exact count as of render time (the page may be cached)."""
    counts = selectors.reaction_counts(article_id=article_id)
    return {
        "article_id": article_id,
        "reactions": [
            {"kind": kind, "label": label, "count": counts[kind]}
            for kind, label in settings.MASTHEAD_REACTION_KINDS.items()
        ],
    }


@register.inclusion_tag("engagement/ranking.html")
def ranking_widget(within, window: str = "24h") -> dict:
    return {"items": discovery.ranking(within=within, window=window)}
