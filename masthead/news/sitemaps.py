"""sitemap.xml (an index of pages and articles) and the Google News sitemap."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpRequest
from django.urls import reverse

from masthead.news import selectors
from masthead.news.cache import NAV, SITEMAP, keys_record
from masthead.news.models import ArticlePage, ChannelPage, HomePage

# Google News reads at most 1,000 articles per news sitemap.
NEWS_SITEMAP_LIMIT = 1000


class SectionSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.8

    def items(self):
        keys_record(NAV)
        return list(HomePage.objects.live()) + list(ChannelPage.objects.live().order_by("path"))

    def location(self, item) -> str:
        return item.get_url()

    def lastmod(self, item):
        return item.last_published_at


class ArticleSitemap(Sitemap):
    limit = 10_000
    changefreq = "daily"
    priority = 0.6

    def items(self):
        keys_record(SITEMAP)
        return (
            ArticlePage.objects.live()
            .order_by("-published_at", "-pk")
            .only("url_path", "path", "depth", "last_published_at", "published_at")
        )

    def location(self, item) -> str:
        return item.get_url()

    def lastmod(self, item):
        return item.last_published_at


class TagSitemap(Sitemap):
    """Tag pages of tags that are on at least one live article."""

    limit = 10_000
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return selectors.tag_list_in_use()

    def location(self, item) -> str:
        return reverse("tag", args=[item.slug])


class ArchiveSitemap(Sitemap):
    """Day archives (/2026/11/29/) of every day with live articles, newest first."""

    limit = 10_000
    changefreq = "daily"
    priority = 0.3

    def items(self):
        return selectors.archive_day_list()

    def location(self, item) -> str:
        return reverse("archive_day", args=[item.year, item.month, item.day])


SITEMAPS = {
    "sections": SectionSitemap,
    "articles": ArticleSitemap,
    "tags": TagSitemap,
    "archives": ArchiveSitemap,
}


def news_sitemap_entries(*, request: HttpRequest) -> list[dict]:
    keys_record(SITEMAP)
    articles = selectors.article_list_recent(
        hours=settings.MASTHEAD_NEWS_SITEMAP_HOURS
    ).prefetch_related("tags")[:NEWS_SITEMAP_LIMIT]
    return [
        {
            "loc": request.build_absolute_uri(article.get_url(request)),
            "title": article.title,
            "published_at": article.published_at,
            "keywords": ", ".join(tag.name for tag in article.tags.all()),
        }
        for article in articles
    ]
