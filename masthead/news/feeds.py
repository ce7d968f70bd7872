"""RSS 2.0 and Atom feeds of the latest articles: site-wide, per channel and per tag."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from wagtail.models import Page

from masthead.news import selectors
from masthead.news.cache import LATEST, channel_key, keys_record, keys_record_articles, tag_key

FEED_SIZE = 30


@dataclass(frozen=True)
class FeedScope:
    """What a feed covers: a title, the HTML page it mirrors, and its articles."""

    title: str
    link: str
    description: str
    within: Page | None = None
    tag_slug: str | None = None
    key: str = LATEST  # the surrogate key of the listing the feed mirrors

    @classmethod
    def for_site(cls) -> FeedScope:
        return cls(settings.MASTHEAD_SITE_NAME, "/", f"Latest from {settings.MASTHEAD_SITE_NAME}")

    @classmethod
    def for_channel(cls, channel: Page) -> FeedScope:
        return cls(
            f"{channel.title} - {settings.MASTHEAD_SITE_NAME}",
            channel.url,
            getattr(channel, "description", "") or f"Latest in {channel.title}",
            within=channel,
            key=channel_key(channel.pk),
        )

    @classmethod
    def for_tag(cls, tag) -> FeedScope:
        return cls(
            f"{tag.name} - {settings.MASTHEAD_SITE_NAME}",
            f"/tags/{tag.slug}/",
            f"Latest tagged {tag.name}",
            tag_slug=tag.slug,
            key=tag_key(tag.pk),
        )

    def articles(self):
        if self.tag_slug is not None:
            return selectors.article_list_for_tag(slug=self.tag_slug)
        return selectors.article_list_latest(within=self.within)


class ArticleRssFeed(Feed):
    """One instance per request (the scope and request are per request, Feed views are not)."""

    feed_type = Rss201rev2Feed

    def __init__(self, *, scope: FeedScope):
        super().__init__()
        self.scope = scope
        self.request: HttpRequest | None = None

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return self.scope

    def title(self, scope: FeedScope) -> str:
        return scope.title

    def link(self, scope: FeedScope) -> str:
        return scope.link

    def description(self, scope: FeedScope) -> str:
        return scope.description

    def items(self, scope: FeedScope):
        articles = list(scope.articles().prefetch_related("tags")[:FEED_SIZE])
        keys_record(scope.key)
        keys_record_articles(articles)
        return articles

    def item_title(self, item) -> str:
        return item.title

    def item_description(self, item) -> str:
        return item.dek

    def item_link(self, item) -> str:
        return item.get_url(self.request)

    def item_guid(self, item) -> str:
        assert self.request is not None  # set by __call__ before any item is rendered
        return self.request.build_absolute_uri(item.get_url(self.request))

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_author_name(self, item) -> str:
        return item.byline or item.credit_line

    def item_categories(self, item) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class ArticleAtomFeed(ArticleRssFeed):
    feed_type = Atom1Feed  # type: ignore[assignment]  # Django's feed classes share no base type
    subtitle = ArticleRssFeed.description
