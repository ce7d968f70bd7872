"""RSS 2.0, Atom and JSON Feed of the latest articles: site-wide, per channel, tag and author.

Every item carries its lead image (an RSS enclosure and `media:content`, an Atom enclosure link,
JSON Feed's `image`); a per-site setting (Settings > Feeds) puts the whole body in the feeds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from masthead.news import selectors
from masthead.news.cache import LATEST, channel_key, keys_record, keys_record_articles, tag_key

FEED_SIZE = 30
# The rendition of the lead image that feeds carry (the same one the article page shows).
FEED_RENDITION = "fill-1200x675|format-jpeg|jpegquality-80"
MEDIA_NS = "http://search.yahoo.com/mrss/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True)
class FeedScope:
    """What a feed covers: a title, the HTML page it mirrors, and its articles."""

    title: str
    link: str
    description: str
    within: Page | None = None
    tag_slug: str | None = None
    key: str = LATEST  # the surrogate key of the listing the feed mirrors
    author: object | None = None

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

    @classmethod
    def for_author(cls, author) -> FeedScope:
        return cls(
            f"{author.name} - {settings.MASTHEAD_SITE_NAME}",
            author.url,
            f"Latest by {author.name}",
            author=author,
        )

    def articles(self) -> QuerySet:
        if self.tag_slug is not None:
            return selectors.article_list_for_tag(slug=self.tag_slug)
        if self.author is not None:
            return selectors.article_list_for_author(author=self.author)  # type: ignore[arg-type]
        return selectors.article_list_latest(within=self.within)


def is_full_text(request: HttpRequest) -> bool:
    """The site's "full text" feed setting (Settings > Feeds in the admin)."""
    site = Site.find_for_request(request)
    return selectors.feed_is_full_text(site=site) if site is not None else False


def feed_items(scope: FeedScope, *, full_text: bool) -> list:
    """The feed's articles with tags, authors and lead-image renditions in a constant number
    of queries; bodies only when the feed carries them."""
    images = get_image_model().objects.prefetch_renditions(FEED_RENDITION)
    articles = (
        scope.articles()
        .select_related("author")
        .prefetch_related("tags", Prefetch("lead_image", queryset=images))
    )
    if full_text:
        articles = articles.defer(None)
    return list(articles[:FEED_SIZE])


def lead_rendition(article):
    """The feed rendition of the article's lead image, or None (created once if missing)."""
    return article.lead_image.get_rendition(FEED_RENDITION) if article.lead_image else None


def body_html(article, request: HttpRequest) -> str:
    """The article body as HTML with absolute links, as feed readers need them."""
    html = str(article.body)
    base = request.build_absolute_uri("/").rstrip("/")
    return html.replace('src="/', f'src="{base}/').replace('href="/', f'href="{base}/')


class MediaRssFeed(Rss201rev2Feed):
    """RSS 2.0 with `media:content` for the lead image and `content:encoded` for full text."""

    def rss_attributes(self) -> dict:
        return {**super().rss_attributes(), "xmlns:media": MEDIA_NS, "xmlns:content": CONTENT_NS}

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("media"):
            handler.addQuickElement("media:content", "", item["media"])
        if item.get("content_html"):
            handler.addQuickElement("content:encoded", item["content_html"])


class ContentAtomFeed(Atom1Feed):
    """Atom with `<content type="html">` for full text."""

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class ArticleRssFeed(Feed):
    """One instance per request (the scope and request are per request, Feed views are not)."""

    feed_type = MediaRssFeed

    def __init__(self, *, scope: FeedScope):
        super().__init__()
        self.scope = scope
        self.request: HttpRequest | None = None
        self.full_text = False

    @property
    def _request(self) -> HttpRequest:
        assert self.request is not None  # get_object runs before any item is rendered
        return self.request

    def get_object(self, request, *args, **kwargs):
        self.request = request
        self.full_text = is_full_text(request)
        return self.scope

    def title(self, scope: FeedScope) -> str:
        return scope.title

    def link(self, scope: FeedScope) -> str:
        return scope.link

    def description(self, scope: FeedScope) -> str:
        return scope.description

    def items(self, scope: FeedScope):
        articles = feed_items(scope, full_text=self.full_text)
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
        return self._request.build_absolute_uri(item.get_url(self.request))

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_author_name(self, item) -> str:
        return item.byline or item.credit_line

    def item_author_link(self, item) -> str | None:
        return self._request.build_absolute_uri(item.author.url) if item.author_id else None

    def item_categories(self, item) -> list[str]:
        return [tag.name for tag in item.tags.all()]

    def item_enclosures(self, item) -> list[Enclosure]:
        rendition = lead_rendition(item)
        if rendition is None:
            return []
        url = self._request.build_absolute_uri(rendition.url)
        return [Enclosure(url, str(rendition.file.size), "image/jpeg")]

    def item_extra_kwargs(self, item) -> dict:
        extra: dict[str, Any] = {}
        rendition = lead_rendition(item)
        if rendition is not None:
            extra["media"] = {
                "url": self._request.build_absolute_uri(rendition.url),
                "medium": "image",
                "type": "image/jpeg",
                "width": str(rendition.width),
                "height": str(rendition.height),
            }
        if self.full_text:
            extra["content_html"] = body_html(item, self._request)
        return extra


class ArticleAtomFeed(ArticleRssFeed):
    feed_type = ContentAtomFeed  # type: ignore[assignment]  # Django's feed classes share no base
    subtitle = ArticleRssFeed.description


def json_feed(request: HttpRequest, *, scope: FeedScope) -> HttpResponse:
    """The scope's articles as JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    full_text = is_full_text(request)
    absolute = request.build_absolute_uri
    items = []
    for article in feed_items(scope, full_text=full_text):
        url = absolute(article.get_url(request))
        item = {
            "id": url,
            "url": url,
            "title": article.title,
            "summary": article.dek,
            "date_published": article.published_at.isoformat() if article.published_at else None,
            "date_modified": (
                article.last_published_at.isoformat() if article.last_published_at else None
            ),
            "tags": [tag.name for tag in article.tags.all()],
        }
        if full_text:
            item["content_html"] = body_html(article, request)
        else:
            item["content_text"] = article.dek
        if rendition := lead_rendition(article):
            item["image"] = absolute(rendition.url)
        if article.byline or article.credit_line:
            author = {"name": article.byline or article.credit_line}
            if article.author_id:
                author["url"] = absolute(article.author.url)
            item["authors"] = [author]
        items.append({key: value for key, value in item.items() if value not in (None, "")})
    document = {
        "version": JSON_FEED_VERSION,
        "title": scope.title,
        "home_page_url": absolute(scope.link),
        "feed_url": absolute(request.path),
        "description": scope.description,
        "language": settings.LANGUAGE_CODE,
        "items": items,
    }
    return HttpResponse(
        json.dumps(document, ensure_ascii=False), content_type="application/feed+json"
    )
