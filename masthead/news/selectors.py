"""Reads of the news pages; listings use the published_at index and never load bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from taggit.models import Tag
from wagtail.models import Page

from masthead.news.cache import content_generation

if TYPE_CHECKING:
    from masthead.news.models import ArticlePage, Author, ChannelPage, HomePage

TOP_STORIES = 7
SECTION_SIZE = 5


def _articles() -> QuerySet[ArticlePage]:
    return apps.get_model("news", "ArticlePage").objects


def article_list_latest(*, within: Page | None = None) -> QuerySet[ArticlePage]:
    """Live articles, newest first; under `within` (a channel and its sub-channels) if given."""
    articles = _articles().live().defer("body").order_by("-published_at", "-pk")
    if within is not None:
        articles = articles.descendant_of(within)
    return articles


def article_list_for_tag(*, slug: str) -> QuerySet[ArticlePage]:
    return article_list_latest().filter(tags__slug=slug)


def article_list_recent(*, hours: int) -> QuerySet[ArticlePage]:
    """Live articles published in the last `hours` hours (for the news sitemap)."""
    since = timezone.now() - timedelta(hours=hours)
    return article_list_latest().filter(published_at__gte=since)


def article_list_top_stories(*, home: HomePage, limit: int = TOP_STORIES) -> list[ArticlePage]:
    """Editor-pinned live articles in their order, then the latest ones."""
    pinned = [
        pin.article
        for pin in home.pinned_stories.select_related("article", "article__lead_image")
        if pin.article.live
    ]
    pinned_ids = [article.pk for article in pinned]
    latest = (
        article_list_latest()
        .select_related("lead_image")
        .exclude(pk__in=pinned_ids)[: max(limit - len(pinned), 0)]
    )
    return (pinned + list(latest))[:limit]


@dataclass(frozen=True)
class Section:
    channel: ChannelPage
    articles: list[ArticlePage]


def channel_list_sections(*, home: HomePage, size: int = SECTION_SIZE) -> list[Section]:
    """One section per top-level channel with its latest articles (sub-channels included)."""
    channels = apps.get_model("news", "ChannelPage").objects.child_of(home).live().order_by("path")
    return [
        Section(channel=channel, articles=list(article_list_latest(within=channel)[:size]))
        for channel in channels
    ]


def channel_list_navigation(*, site_root: Page) -> list[Page]:
    """Top-level channels for the site's navigation bar."""
    return list(
        apps.get_model("news", "ChannelPage")
        .objects.child_of(site_root)
        .live()
        .in_menu()
        .order_by("path")
        .only("title", "url_path", "path", "depth")
    )


def page_list_breadcrumbs(*, page: Page) -> list[Page]:
    """The page's ancestors from the home page down to its parent (cached per parent)."""

    def ancestors() -> list[Page]:
        return list(
            page.get_ancestors().filter(depth__gt=1).only("title", "url_path", "path", "depth")
        )

    key = f"breadcrumbs:{content_generation()}:{page.path[: -page.steplen]}"
    return cache.get_or_set(key, ancestors, timeout=600)


def page_for_url_path(*, url_path: str) -> Page | None:
    """The page (as its specific class) at `url_path`.

    The home page and channels come from a cached map (they are few and read on every
    request); an article costs one query; any other page two.
    """
    sections = cache.get_or_set(
        f"sections-by-url:{content_generation()}", _sections_by_url_path, timeout=600
    )
    if url_path in sections:
        return sections[url_path]
    article = _articles().filter(url_path=url_path).select_related("lead_image", "author").first()
    if article is not None:
        return article
    page = Page.objects.filter(url_path=url_path).first()
    return page.specific if page is not None else None


def _sections_by_url_path() -> dict[str, Page]:
    models = [apps.get_model("news", "HomePage"), apps.get_model("news", "ChannelPage")]
    return {page.url_path: page for model in models for page in model.objects.live()}


def channel_list_children(*, channel: Page) -> list[Page]:
    """The channel's live sub-channels in tree order, from the cached map of sections."""
    sections = cache.get_or_set(
        f"sections-by-url:{content_generation()}", _sections_by_url_path, timeout=600
    )
    children = [
        page
        for page in sections.values()
        if page.depth == channel.depth + 1 and page.path.startswith(channel.path)
    ]
    return sorted(children, key=lambda page: page.path)


# Bylines name several people as "A and B", "A, B" or "A & B", often after "By".
_BYLINE_SEPARATORS = re.compile(r"\s*(?:,|&|\band\b|\bund\b|;)\s*", re.IGNORECASE)
_BYLINE_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)


def byline_names(*, byline: str) -> list[str]:
    """The people a byline names, in order ("By Ana Diaz and Li Wei" -> both)."""
    text = _BYLINE_PREFIX.sub("", " ".join(byline.split()))
    return [name for name in _BYLINE_SEPARATORS.split(text) if name]


def author_for_byline(*, byline: str) -> Author | None:
    """The first author named in the byline who has an author page, or None (one query)."""
    names = byline_names(byline=byline)
    if not names:
        return None
    authors = apps.get_model("news", "Author").objects
    found = {author.name.casefold(): author for author in authors.filter(name__in=names)}
    if len(found) < len(names):
        # Case differs ("MAYA CHEN"): fall back to a case-insensitive match per name.
        for name in names:
            if name.casefold() not in found:
                author = authors.filter(name__iexact=name).first()
                if author is not None:
                    found[name.casefold()] = author
    return next((found[name.casefold()] for name in names if name.casefold() in found), None)


def article_list_for_author(*, author: Author) -> QuerySet[ArticlePage]:
    return article_list_latest().filter(author=author)


def day_bounds(*, day: date) -> tuple[datetime, datetime]:
    """The start of `day` and of the next day in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def article_list_published_between(*, start: datetime, end: datetime) -> QuerySet[ArticlePage]:
    """Live articles published in [start, end), newest first (an archive page)."""
    return article_list_latest().filter(published_at__gte=start, published_at__lt=end)


def archive_days_in_month(*, year: int, month: int) -> list[tuple[date, int]]:
    """(day, article count) for each day of the month that has live articles, oldest first."""
    start, _ = day_bounds(day=date(year, month, 1))
    next_month = date(year + month // 12, month % 12 + 1, 1)
    end, _ = day_bounds(day=next_month)
    rows = (
        article_list_published_between(start=start, end=end)
        .order_by()
        .annotate(day=TruncDate("published_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    return sorted(rows)


def feed_is_full_text(*, site) -> bool:
    """Whether the site's feeds carry whole bodies (its Feeds setting; off when never saved)."""
    rows = apps.get_model("news", "FeedSettings").objects.filter(site=site)
    return bool(rows.values_list("is_full_text", flat=True).first())


def tag_list_in_use() -> QuerySet:
    """Tags on at least one live article, by slug (the tag pages worth listing)."""
    live = article_list_latest().order_by().values("pk")
    return (
        Tag.objects.filter(news_articletag_items__content_object__in=live)
        .distinct()
        .order_by("slug")
        .only("slug")
    )


def archive_day_list() -> list[date]:
    """Every day (in the site's time zone) with live articles, newest first."""
    days = (
        article_list_latest()
        .order_by()
        .annotate(day=TruncDate("published_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", flat=True)
        .distinct()
    )
    return sorted((day for day in days if day is not None), reverse=True)
