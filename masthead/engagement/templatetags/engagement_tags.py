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


@register.simple_tag
def listing_reaction_totals(articles) -> dict[int, int] | None:
    """{article id: reaction total} for a listing when Settings > Reactions shows counts on
    listings, else None (one query for the whole list)."""
    if not selectors.reaction_config().show_count_on_listings:
        return None
    return selectors.reaction_totals(article_ids=[article.pk for article in articles])


@register.filter
def reaction_total(totals: dict[int, int], article_id: int) -> int:
    return totals.get(article_id, 0)
