import json
from collections import OrderedDict
from contextlib import suppress
from datetime import datetime
from typing import Any

from django import template
from django.conf import settings
from django.template import Engine
from django.template.base import FilterExpression
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from masthead.news.cache import NAV, article_key, cached_volatile, cached_with_keys, keys_record

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


@register.simple_tag(takes_context=True)
def volatile_part(context: template.Context, template_name: str) -> SafeString:
    """A part of the page that changes on its own schedule (reaction counts, Ranking, the
    non-personal Recommendation): rendered here, or left as a marker when the page is rendered
    as a cached shell (`news.page_shell`) and filled in per request."""
    holes = context.get("volatile_holes")
    if holes is not None:
        return mark_safe(holes.mark(template_name))  # noqa: S308 (our own marker)
    engine = context.template.engine if context.template else Engine.get_default()
    return mark_safe(engine.get_template(template_name).render(context))  # noqa: S308


@register.simple_tag(takes_context=True)
def shell_part(context: template.Context, template_name: str) -> SafeString:
    """A part of the page cached on its own (a `keyed_cache` fragment), kept out of the page's
    shell like a volatile part: when it changes (an article page's Related, Like and story lists,
    which discovery updates as other articles are published), only the part is rendered again,
    not the whole shell with it. Its keys are recorded for the page as it is put in."""
    return volatile_part(context, template_name)


# Rendered result cards kept in this process, keyed by everything a card shows: a card can only
# be stale under a key that no longer matches, so nothing needs purging (an edit, a move or a new
# copy of the story reads as another key). Bounded, oldest dropped first: a few megabytes.
_CARDS: OrderedDict[tuple, SafeString] = OrderedDict()
CARDS_MAX = 5000


@register.simple_tag(takes_context=True)
def search_card(context: template.Context, article: Any) -> SafeString:
    """The article's card with its dek: the HTML `article_card.html` renders for a search result
    (a test compares them), from this process's memory when the same card was rendered before.
    Nothing is written to a shared cache: search pages rarely repeat, but articles recur across
    them. `article` is a page or a `search.SearchHit`."""
    request = context.get("request")
    url = article.get_url(request=request)
    key = (
        article.pk,
        url,
        article.title,
        article.dek,
        article.credit_line,
        article.published_at,
        getattr(article, "story_sources", None),
        timezone.get_current_timezone_name(),
        context.autoescape,
    )
    keys_record(article_key(article.pk))
    html = _CARDS.pop(key, None)  # taken out and put back: now the most recently used
    if html is None:
        html = _card_html(article, url=url or "", autoescape=context.autoescape)
    _CARDS[key] = html
    if len(_CARDS) > CARDS_MAX:
        with suppress(KeyError):  # another thread emptied it meanwhile
            _CARDS.popitem(last=False)
    return html


def _card_html(article: Any, *, url: str, autoescape: bool) -> SafeString:
    """`article_card.html` with its dek and no reaction counts, written out in Python: the
    template engine took about as long as the rest of a search page."""
    escape = conditional_escape if autoescape else str
    href = escape(url)
    dek = ""
    if article.dek:
        dek = f'<p class="card__dek">{escape(_words(str(article.dek), 40, " …"))}</p>'
    credit = f"<span>{escape(article.credit_line)}</span> · " if article.credit_line else ""
    published = article.published_at
    if settings.USE_TZ and published is not None and timezone.is_aware(published):
        published = timezone.localtime(published)  # what the template's `date` filter shows
    sources = ""
    count = getattr(article, "story_sources", None)
    if count is not None and count > 1:
        others = count - 1
        sources = (
            f' · <a class="card__sources" href="{href}#story-heading"'
            f' data-story-sources="{count}">+{others} source{"" if others == 1 else "s"}</a>'
        )
    return mark_safe(  # noqa: S308 (every value above is escaped)
        f'<article class="card">\n'
        f'  <h3 class="card__title"><a href="{href}">{escape(article.title)}</a></h3>\n'
        f"  {dek}\n"
        f'  <p class="card__meta">{credit}<time datetime="{_iso(published)}">'
        f"{_minute(published)}</time>{sources}\n</p>\n"
        "</article>\n"
    )


def _words(text: str, count: int, truncate: str) -> str:
    """`Truncator(text).words(count, truncate=truncate)` for plain text (the `truncatewords`
    the card template applies): whitespace runs become one space, and past `count` words the
    text is cut and `truncate` added unless the cut text already ends with it."""
    words = text.split()
    if len(words) <= count:
        return " ".join(words)
    cut = " ".join(words[:count])
    return cut if cut.endswith(truncate) else cut + truncate


def _iso(value: Any) -> str:
    """The `date` filter with format "c" (`DateFormat.c`: the value's ISO 8601 form)."""
    if value in (None, ""):
        return ""
    return conditional_escape(value.isoformat())


def _minute(value: Any) -> str:
    """The `date` filter with format "Y-m-d H:i", for a date and time."""
    if value in (None, ""):
        return ""
    if not isinstance(value, datetime):  # a plain date: Django's own formatter decides
        return conditional_escape(dateformat.format(value, "Y-m-d H:i"))
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"


@register.simple_tag
def channel_options(channels: list, chosen: int | None) -> SafeString:
    """The search form's channel menu, `chosen` selected and sub-channels marked "— ": a
    template loop over every channel took a tenth of the page's time."""
    return mark_safe(  # noqa: S308 (titles escaped)
        "".join(
            f'<option value="{channel.pk}"{" selected" if channel.pk == chosen else ""}>'
            f"{'— ' if channel.is_sub_channel else ''}{conditional_escape(channel.title)}</option>"
            for channel in channels
        )
    )


@register.simple_tag
def shows(*things: Any) -> str:
    """Record that the page being rendered shows these articles (pages or ids) or keys (strings),
    so that a change to any of them purges it from the caches."""
    keys_record(*(thing if isinstance(thing, str) else article_key(_pk(thing)) for thing in things))
    return ""


def _pk(thing: Any) -> int:
    return thing if isinstance(thing, int) else thing.pk


class KeyedCacheNode(template.Node):
    def __init__(
        self,
        nodelist: template.NodeList,
        name: str,
        vary_on: list[FilterExpression],
        *,
        is_volatile: bool = False,
        seconds: FilterExpression | None = None,
    ):
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on
        self.is_volatile = is_volatile
        self.seconds = seconds

    def render(self, context: template.Context) -> str:
        if getattr(context.get("request"), "is_preview", False):  # a draft, not the live page
            return self.nodelist.render(context)
        parts = [self.name, *(str(v.resolve(context)) for v in self.vary_on)]
        key = "fragment:" + ":".join(parts)

        def build() -> str:
            keys_record(NAV)  # page URLs and channel titles change with the site's structure
            return self.nodelist.render(context)

        if not self.is_volatile:
            return cached_with_keys(key, build, timeout=FRAGMENT_SECONDS)
        seconds = settings.MASTHEAD_RANKING_CACHE_SECONDS
        if self.seconds is not None:
            seconds = int(self.seconds.resolve(context))
        return cached_volatile(key, build, timeout=seconds)


def _keyed_cache_node(
    parser: template.base.Parser, token: template.base.Token, *, is_volatile: bool
) -> KeyedCacheNode:
    end = "endvolatile_cache" if is_volatile else "endkeyed_cache"
    nodelist = parser.parse((end,))
    parser.delete_first_token()
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError(f"{token.contents.split()[0]} needs a fragment name")
    seconds = [b.removeprefix("seconds=") for b in bits[1:] if b.startswith("seconds=")]
    return KeyedCacheNode(
        nodelist,
        bits[0].strip("\"'"),
        [parser.compile_filter(b) for b in bits[1:] if not b.startswith("seconds=")],
        is_volatile=is_volatile,
        seconds=parser.compile_filter(seconds[0]) if is_volatile and seconds else None,
    )


@register.tag
def keyed_cache(parser: template.base.Parser, token: template.base.Token) -> KeyedCacheNode:
    """`{% keyed_cache "name" var ... %}…{% endkeyed_cache %}`: the fragment cached until any
    key recorded while rendering it (articles shown, listings) is purged."""
    return _keyed_cache_node(parser, token, is_volatile=False)


@register.tag
def volatile_cache(parser: template.base.Parser, token: template.base.Token) -> KeyedCacheNode:
    """`{% volatile_cache "name" var ... [seconds=expr] %}…{% endvolatile_cache %}`: a volatile
    widget (Ranking, the non-personal Recommendation) cached for `seconds` (by default as long
    as the Ranking lists are, MASTHEAD_RANKING_CACHE_SECONDS), or until a key it recorded is
    purged. Its keys do not tie the page around it, which may stay cached far longer."""
    return _keyed_cache_node(parser, token, is_volatile=True)
