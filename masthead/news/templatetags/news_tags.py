import json
from typing import Any

from django import template
from django.template.base import FilterExpression
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from masthead.news.cache import article_key, cached_with_keys, keys_record

register = template.Library()
# A fragment lives until a key it recorded is purged; the timeout only bounds memory.
FRAGMENT_SECONDS = 6 * 3600

# The characters that could end a <script> element or start markup, escaped inside JSON strings.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def ld_json(data: dict) -> SafeString:
    """Render `data` as a JSON-LD script element that no string inside it can break out of."""
    text = json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


@register.inclusion_tag("news/includes/pagination.html", takes_context=True)
def pagination(context, page):
    """Previous/next links that keep the other query parameters."""
    request = context["request"]

    def link(number: int) -> str:
        params = request.GET.copy()
        params["page"] = number
        return "?" + params.urlencode()

    return {
        "page": page,
        "previous_url": link(page.previous_page_number()) if page.has_previous() else None,
        "next_url": link(page.next_page_number()) if page.has_next() else None,
    }


@register.simple_tag
def shows(*things: Any) -> str:
    """Record that the page being rendered shows these articles (pages or ids) or keys (strings),
    so that a change to any of them purges it from the caches."""
    keys_record(*(thing if isinstance(thing, str) else article_key(_pk(thing)) for thing in things))
    return ""


def _pk(thing: Any) -> int:
    return thing if isinstance(thing, int) else thing.pk


class KeyedCacheNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str, vary_on: list[FilterExpression]):
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context: template.Context) -> str:
        if getattr(context.get("request"), "is_preview", False):  # a draft, not the live page
            return self.nodelist.render(context)
        parts = [self.name, *(str(v.resolve(context)) for v in self.vary_on)]
        key = "fragment:" + ":".join(parts)
        return cached_with_keys(
            key, lambda: self.nodelist.render(context), timeout=FRAGMENT_SECONDS
        )


@register.tag
def keyed_cache(parser: template.base.Parser, token: template.base.Token) -> KeyedCacheNode:
    """`{% keyed_cache "name" var ... %}…{% endkeyed_cache %}`: the fragment cached until any
    key recorded while rendering it (articles shown, listings) is purged."""
    nodelist = parser.parse(("endkeyed_cache",))
    parser.delete_first_token()
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("keyed_cache needs a fragment name")
    return KeyedCacheNode(
        nodelist, bits[0].strip("\"'"), [parser.compile_filter(b) for b in bits[1:]]
    )
