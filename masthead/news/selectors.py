"""Reads of the news pages; listings use the published_at index and never load bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page, PageManager, PageViewRestriction

# The page models call these selectors from their get_context, so this module names the models
# through their module (resolved at call time) rather than importing the classes.
from masthead.news import models
from masthead.news.cache import (
    LATEST,
    channel_key,
    content_generation,
    keys_record,
    page_key,
)
from masthead.news.tree import parent_path

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
    channel: models.ChannelPage
    articles: list[models.ArticlePage]


def channel_list_sections(*, home: models.HomePage, size: int = SECTION_SIZE) -> list[Section]:
    """One section per top-level channel with its latest stories (sub-channels included),
    leaving out the stories Top stories already shows."""
    channels = list(models.ChannelPage.objects.child_of(home).live().order_by("path"))
    keys_record(*(channel_key(channel.pk) for channel in channels))
    shown = [article.pk for article in article_list_top_stories(home=home)]
    return [
        Section(
            channel=channel,
            articles=list(article_list_stories(within=channel).exclude(pk__in=shown)[:size]),
        )
        for channel in channels
    ]


def home_list_shown(*, home: models.HomePage) -> tuple[list[int], list[int]]:
    """The articles and stories the home page's Top stories and sections show, so its other
    lists (Ranking) can leave them out; cached until the content changes."""

    def shown() -> tuple[list[int], list[int]]:
        ids = [a.pk for a in article_list_top_stories(home=home)]
        ids += [a.pk for section in channel_list_sections(home=home) for a in section.articles]
        stories = list(
            models.StoryEntry.objects.filter(article_id__in=ids).values_list("story", flat=True)
        )
        return ids, stories

    key = f"home-shown:{content_generation()}:{home.pk}"
    found: tuple[list[int], list[int]] = cache.get_or_set(key, shown, timeout=600) or ([], [])
    return found


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

    def ancestors() -> list[Page]:
        return list(
            page.get_ancestors().filter(depth__gt=1).only("title", "url_path", "path", "depth")
        )

    key = f"breadcrumbs:{content_generation()}:{parent_path(page.path)}"
    found: list[Page] = cache.get_or_set(key, ancestors, timeout=600) or []
    return found


def page_for_url_path(*, url_path: str) -> Page | None:
    """The page (as its specific class) at `url_path`.

    The home page and channels come from a cached map (they are few and read on every
    request); an article costs one query; any other page two.
    """
    sections: dict[str, Page] = (
        cache.get_or_set(
            f"sections-by-url:{content_generation()}", _sections_by_url_path, timeout=600
        )
        or {}
    )
    if url_path in sections:
        return sections[url_path]
    article = _articles().filter(url_path=url_path).select_related("lead_image").first()
    if article is not None:
        return article
    page = Page.objects.filter(url_path=url_path).first()
    return page.specific if page is not None else None


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
