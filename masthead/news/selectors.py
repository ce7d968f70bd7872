"""Reads of the news pages; listings use the published_at index and never load bodies."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property, partial

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from taggit.models import Tag
from wagtail.models import Page, PageManager, PageViewRestriction

# The page models call these selectors from their get_context, so this module names the models
# through their module (resolved at call time) rather than importing the classes.
from masthead.news import models
from masthead.news.cache import (
    LATEST,
    NAV,
    cached_for_generation,
    cached_with_keys,
    channel_key,
    content_generation,
    keys_record,
    keys_record_articles,
    page_key,
)
from masthead.news.compiled import CompiledQuery
from masthead.news.tree import is_sub_channel, parent_path

TOP_STORIES = 7
SECTION_SIZE = 5


def _articles() -> PageManager[models.ArticlePage]:
    return models.ArticlePage.objects


def article_list_latest(*, within: Page | None = None) -> QuerySet[models.ArticlePage]:
    """Live articles, newest first; under `within` (a channel and its sub-channels) if given."""
    articles = _articles().live().defer("body").order_by("-published_at", "-pk")
    if within is not None:
        articles = articles.descendant_of(within)
    return articles


def article_list_for_tag(*, slug: str) -> QuerySet[models.ArticlePage]:
    return article_list_latest().filter(tags__slug=slug)


def story_leads(articles: QuerySet[models.ArticlePage]) -> QuerySet[models.ArticlePage]:
    """One entry per story: `articles` without the copies that are not their story's lead,
    each annotated with `story_sources` (live copies of its story; None when not clustered).

    One LEFT JOIN on the story table's primary key, so the listing's own index still drives it.
    """
    return articles.filter(Q(story_entry__isnull=True) | Q(story_entry__is_lead=True)).annotate(
        story_sources=F("story_entry__source_count")
    )


def article_list_stories(*, within: Page | None = None) -> QuerySet[models.ArticlePage]:
    """The latest stories (each by its lead copy), newest first; under `within` if given."""
    return story_leads(article_list_latest(within=within))


def article_list_stories_for_tag(*, slug: str) -> QuerySet[models.ArticlePage]:
    return story_leads(article_list_for_tag(slug=slug))


def article_list_recent(*, hours: int) -> QuerySet[models.ArticlePage]:
    """Live articles published in the last `hours` hours (for the news sitemap)."""
    since = timezone.now() - timedelta(hours=hours)
    return article_list_latest().filter(published_at__gte=since)


def article_list_top_stories(
    *, home: models.HomePage, limit: int = TOP_STORIES
) -> list[models.ArticlePage]:
    """Editor-pinned live articles in their order, then the latest stories (one entry each)."""
    keys_record(page_key(home.pk), LATEST)
    pinned = [
        pin.article
        for pin in home.pinned_stories.select_related(
            "article", "article__lead_image", "article__story_entry"
        )
        if pin.article.live
    ]
    for article in pinned:
        entry = getattr(article, "story_entry", None)
        article.story_sources = entry.source_count if entry else None
    pinned_ids = [article.pk for article in pinned]
    pinned_stories = [a.story_entry.story for a in pinned if getattr(a, "story_entry", None)]
    latest = article_list_stories().select_related("lead_image").exclude(pk__in=pinned_ids)
    if pinned_stories:
        latest = latest.exclude(story_entry__story__in=pinned_stories)
    latest = latest[: max(limit - len(pinned), 0)]
    return (pinned + list(latest))[:limit]


@dataclass(frozen=True)
class Section:
    channel: Page
    ids: tuple[int, ...]

    @property
    def article_ids(self) -> str:
        """What its cached fragment varies on: the same stories render the same section."""
        return ",".join(map(str, self.ids))

    @cached_property
    def articles(self) -> list[models.ArticlePage]:
        """Read only when the section's fragment is rendered again."""
        articles = article_list_stories().filter(pk__in=self.ids)
        found = {article.pk: article for article in articles}
        return [found[pk] for pk in self.ids if pk in found]


# Cached listings live until a key they recorded is purged; the timeout only bounds memory.
LISTING_CACHE_SECONDS = 6 * 3600
# What the home page shows, for its Ranking to leave out: its story ids follow a regrouping only
# when that changes a lead or a count (which purges), so they are also read again every 10 minutes.
SHOWN_CACHE_SECONDS = 600


def home_list_top_stories(*, home: models.HomePage) -> list[models.ArticlePage]:
    """Top stories (`article_list_top_stories`), cached until the latest stories, the home
    page's pins or an article shown changes."""

    def build() -> list[models.ArticlePage]:
        articles = article_list_top_stories(home=home)
        keys_record_articles(articles)
        return articles

    found: list[models.ArticlePage] = cached_with_keys(
        f"home-top-stories:{home.pk}", build, timeout=LISTING_CACHE_SECONDS
    )
    return found


def channel_list_latest_story_ids(*, channel: Page, count: int) -> list[int]:
    """The ids of the channel's `count` latest stories (sub-channels included), cached under
    its own listing key: a publish in another channel leaves them cached."""

    def build() -> list[int]:
        keys_record(channel_key(channel.pk))
        ids = list(article_list_stories(within=channel).values_list("pk", flat=True)[:count])
        keys_record_articles(ids)
        return ids

    found: list[int] = cached_with_keys(
        f"channel-latest-stories:{channel.pk}:{count}", build, timeout=LISTING_CACHE_SECONDS
    )
    return found


def channel_list_sections(*, home: models.HomePage, size: int = SECTION_SIZE) -> list[Section]:
    """One section per top-level channel with its latest stories (sub-channels included),
    leaving out the stories Top stories already shows.

    Each channel's stories are cached on their own, so a publish reads again only the listing
    of its own channel; the stories Top stories shows (at most TOP_STORIES) are left out here."""
    channels = channel_list_children(channel=home)
    keys_record(*(channel_key(channel.pk) for channel in channels))
    shown = {article.pk for article in home_list_top_stories(home=home)}
    sections = []
    for channel in channels:
        latest = channel_list_latest_story_ids(channel=channel, count=size + TOP_STORIES)
        sections.append(
            Section(channel=channel, ids=tuple(pk for pk in latest if pk not in shown)[:size])
        )
    return sections


def home_list_shown(*, home: models.HomePage) -> tuple[list[int], list[int]]:
    """The articles and stories the home page's Top stories and sections show, so its other
    lists (Ranking) can leave them out; cached until the listings or an article they show
    changes, and for at most `SHOWN_CACHE_SECONDS`."""

    def shown() -> tuple[list[int], list[int]]:
        ids = [a.pk for a in home_list_top_stories(home=home)]
        ids += [pk for section in channel_list_sections(home=home) for pk in section.ids]
        stories = list(
            models.StoryEntry.objects.filter(article_id__in=ids).values_list("story", flat=True)
        )
        return ids, stories

    found: tuple[list[int], list[int]] = cached_with_keys(
        f"home-shown:{home.pk}", shown, timeout=SHOWN_CACHE_SECONDS
    )
    return found


@dataclass(frozen=True)
class ChannelOption:
    """One entry of the search form's channel menu."""

    pk: int
    title: str
    is_sub_channel: bool


def channel_list_all() -> list[ChannelOption]:
    """Every live channel in tree order (the search form's channel menu), kept in this process
    until the site's structure changes. Filtered by page type and sorted here: asked to join the
    channel table and ORDER BY path, SQLite walks the whole page tree to find the few channels
    (a tenth of a second at 100,000 articles)."""

    def options() -> list[ChannelOption]:
        channels = (
            models.ChannelPage.objects.live()
            .type(models.ChannelPage)
            .order_by()
            .only("title", "path", "depth")
        )
        return [
            ChannelOption(pk=c.pk, title=c.title, is_sub_channel=is_sub_channel(c))
            for c in sorted(channels, key=lambda channel: channel.path)
        ]

    return cached_for_generation("channel-menu", options, timeout=3600)


def channel_list_navigation(*, site_root: Page) -> list[Page]:
    """Top-level channels for the site's navigation bar."""
    return list(
        models.ChannelPage.objects.child_of(site_root)
        .live()
        .in_menu()
        .order_by("path")
        .only("title", "url_path", "path", "depth")
    )


def page_list_breadcrumbs(*, page: Page) -> list[Page]:
    """The page's ancestors from the home page down to its parent (cached per parent)."""
    keys_record(NAV)

    def ancestors() -> list[Page]:
        return list(
            page.get_ancestors().filter(depth__gt=1).only("title", "url_path", "path", "depth")
        )

    key = f"breadcrumbs:{content_generation()}:{parent_path(page.path)}"
    found: list[Page] = cache.get_or_set(key, ancestors, timeout=600) or []
    return found


# A page's id, type and version at a URL: one indexed lookup on every article request.
_PAGE_VERSION = CompiledQuery(
    lambda url_path: (
        Page.objects.filter(url_path=url_path)
        .order_by()
        .values_list(
            "pk", "content_type_id", "path", "live", "live_revision_id", "last_published_at"
        )[:1]
    )
)


def page_for_url_path(*, url_path: str) -> Page | None:
    """The page (as its specific class) at `url_path`.

    The home page and channels come from a cached map (they are few and read on every
    request). Any other page costs one indexed lookup of its id and version; a live article is
    then read from the cache under that version (a publish, unpublish or move makes a new one),
    any other page with a second query.
    """
    sections = _sections()
    if url_path in sections:
        return copy.copy(sections[url_path])  # the request may set attributes on its page
    found = _PAGE_VERSION.rows(url_path)
    if not found:
        return None
    pk, content_type_id, path, live, revision, published = found[0]
    if live and content_type_id == ContentType.objects.get_for_model(models.ArticlePage).pk:
        # Author changes and bulk updates bypass publishing; they renew the content generation.
        version = f"{pk}:{path}:{revision}:{published}:{content_generation()}"
        article: models.ArticlePage | None = cache.get_or_set(
            f"article-page:{version}",
            partial(_article_for_serving, pk),
            timeout=models.ARTICLE_CACHE_SECONDS,
        )
        return article
    return Page.objects.get(pk=pk).specific


def _article_for_serving(pk: int) -> models.ArticlePage | None:
    """The article with what its page shows beside its own fields; the body (the largest
    field) is read only when the page's cached body fragment is rendered again."""
    return _articles().defer("body").select_related("lead_image", "author").filter(pk=pk).first()


def _sections() -> dict[str, Page]:
    """The home page and channels by URL path, for the current content generation."""
    found: dict[str, Page] | None = cached_for_generation(
        "sections-by-url", _sections_by_url_path, timeout=600
    )
    return found or {}


def _sections_by_url_path() -> dict[str, Page]:
    sections: list[type[Page]] = [models.HomePage, models.ChannelPage]
    return {page.url_path: page for model in sections for page in model.objects.live()}


VIEW_RESTRICTIONS_KEY = "site-has-view-restrictions"


def site_has_view_restrictions() -> bool:
    """Whether any page is private (cached; the signals drop it when a restriction changes)."""
    found = cache.get(VIEW_RESTRICTIONS_KEY)
    if found is None:
        found = PageViewRestriction.objects.exists()
        cache.set(VIEW_RESTRICTIONS_KEY, found, timeout=None)
    return bool(found)


def channel_list_children(*, channel: Page) -> list[Page]:
    """The channel's live sub-channels in tree order, from the cached map of sections."""
    sections = _sections()
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


def author_for_byline(*, byline: str) -> models.Author | None:
    """The first author named in the byline who has an author page, or None (one query)."""
    names = byline_names(byline=byline)
    if not names:
        return None
    authors = models.Author.objects
    found = {author.name.casefold(): author for author in authors.filter(name__in=names)}
    if len(found) < len(names):
        # Case differs ("MAYA CHEN"): fall back to a case-insensitive match per name.
        for name in names:
            if name.casefold() not in found:
                author = authors.filter(name__iexact=name).first()
                if author is not None:
                    found[name.casefold()] = author
    return next((found[name.casefold()] for name in names if name.casefold() in found), None)


def article_list_for_author(*, author: models.Author) -> QuerySet[models.ArticlePage]:
    return article_list_latest().filter(author=author)


def day_bounds(*, day: date) -> tuple[datetime, datetime]:
    """The start of `day` and of the next day in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def article_list_published_between(
    *, start: datetime, end: datetime
) -> QuerySet[models.ArticlePage]:
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
    rows = models.FeedSettings.objects.filter(site=site)
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
