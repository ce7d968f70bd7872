from django import template

from masthead.engagement import selectors

register = template.Library()


@register.inclusion_tag("engagement/reactions.html")
def reaction_buttons(article_id: int) -> dict:
    """Each reaction kind with its exact count as of render time (the page may be cached)."""
    return {
        "article_id": article_id,
        "reactions": selectors.reaction_states(article_id=article_id),
    }
