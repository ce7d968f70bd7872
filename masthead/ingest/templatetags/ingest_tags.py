from django import template
from wagtail.models import Page

from masthead.ingest import selectors

register = template.Library()


@register.simple_tag
def other_sources(article: Page) -> list[selectors.OtherSource]:
    """Near-copies of this article's story that ingestion kept as other sources."""
    return selectors.item_list_other_sources(article_id=article.pk)
