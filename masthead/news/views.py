"""Site views outside the page tree: tags, search, feeds, sitemaps and robots.txt."""

from __future__ import annotations

import calendar
from datetime import date

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from taggit.models import Tag

from masthead.news import feeds, selectors, sitemaps, structured_data
from masthead.news.cache import keys_record, tag_key
from masthead.news.ids import id_parse
from masthead.news.models import Author, ChannelPage
from masthead.news.pagination import paginate, paginate_counted
from masthead.news.search import (
    MAX_QUERY_LENGTH,
    ORDERS,
    ArticleSearchResults,
    SearchRequest,
    article_search,
)
from masthead.news.search_log import search_query_record


def _tag(slug: str) -> Tag:
    return get_object_or_404(Tag, slug=slug[:100])


@require_safe
def tag_index(request: HttpRequest, slug: str) -> HttpResponse:
    tag = _tag(slug)
    keys_record(tag_key(tag.pk))
    page, message = paginate(
        request, selectors.article_list_stories_for_tag(slug=tag.slug), settings.MASTHEAD_PAGE_SIZE
    )
    return TemplateResponse(
        request, "news/tag_page.html", {"tag": tag, "articles": page, "pagination_message": message}
    )


@require_safe
def tag_rss(request: HttpRequest, slug: str) -> HttpResponse:
    return feeds.ArticleRssFeed(scope=feeds.FeedScope.for_tag(_tag(slug)))(request)


@require_safe
def tag_atom(request: HttpRequest, slug: str) -> HttpResponse:
    return feeds.ArticleAtomFeed(scope=feeds.FeedScope.for_tag(_tag(slug)))(request)


@require_safe
def tag_json(request: HttpRequest, slug: str) -> HttpResponse:
    return feeds.json_feed(request, scope=feeds.FeedScope.for_tag(_tag(slug)))


@require_safe
def site_json(request: HttpRequest) -> HttpResponse:
    return feeds.json_feed(request, scope=feeds.FeedScope.for_site())


def _author(slug: str) -> Author:
    return get_object_or_404(Author, slug=slug[:100])


# The photo on the author page and in its JSON-LD.
AUTHOR_PHOTO = "fill-240x240|format-jpeg|jpegquality-80"


@require_safe
def author_list(request: HttpRequest) -> HttpResponse:
    """Every author with a page, by name."""
    authors = Author.objects.select_related("photo").order_by("name")
    return TemplateResponse(request, "news/author_list.html", {"authors": authors})


@require_safe
def author_index(request: HttpRequest, slug: str) -> HttpResponse:
    author = _author(slug)
    page, message = paginate(
        request, selectors.article_list_for_author(author=author), settings.MASTHEAD_PAGE_SIZE
    )
    photo = author.photo.get_rendition(AUTHOR_PHOTO) if author.photo else None
    photo_url = request.build_absolute_uri(photo.url) if photo else None
    context = {
        "author": author,
        "photo": photo,
        "articles": page,
        "pagination_message": message,
        "json_ld": [structured_data.person(request=request, author=author, image_url=photo_url)],
    }
    return TemplateResponse(request, "news/author_page.html", context)


@require_safe
def author_rss(request: HttpRequest, slug: str) -> HttpResponse:
    return feeds.ArticleRssFeed(scope=feeds.FeedScope.for_author(_author(slug)))(request)


@require_safe
def author_atom(request: HttpRequest, slug: str) -> HttpResponse:
    return feeds.ArticleAtomFeed(scope=feeds.FeedScope.for_author(_author(slug)))(request)


@require_safe
def author_json(request: HttpRequest, slug: str) -> HttpResponse:
    return feeds.json_feed(request, scope=feeds.FeedScope.for_author(_author(slug)))


def _date(year: int, month: int, day: int = 1) -> date:
    """The archive's date; 404 for impossible dates and for days still to come."""
    try:
        value = date(year, month, day)
    except ValueError:
        raise Http404("No such date.") from None
    if value > timezone.localdate():
        raise Http404("That day has not happened yet.")
    return value


@require_safe
def archive_day(request: HttpRequest, year: int, month: int, day: int) -> HttpResponse:
    value = _date(year, month, day)
    start, end = selectors.day_bounds(day=value)
    articles = selectors.article_list_published_between(start=start, end=end)
    page, message = paginate(request, articles, settings.MASTHEAD_PAGE_SIZE)
    context = {
        "day": value,
        "month_start": value.replace(day=1),
        "articles": page,
        "pagination_message": message,
    }
    return TemplateResponse(request, "news/archive_day.html", context)


@require_safe
def archive_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    first = _date(year, month)
    last = first.replace(day=calendar.monthrange(year, month)[1])
    start, _ = selectors.day_bounds(day=first)
    _, end = selectors.day_bounds(day=last)
    articles = selectors.article_list_published_between(start=start, end=end)
    page, message = paginate(request, articles, settings.MASTHEAD_PAGE_SIZE)
    context = {
        "month_start": first,
        "days": selectors.archive_days_in_month(year=year, month=month),
        "articles": page,
        "pagination_message": message,
    }
    return TemplateResponse(request, "news/archive_month.html", context)


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them the site's icon."""
    return HttpResponseRedirect(staticfiles_storage.url("news/favicon.svg"))


@require_safe
def site_rss(request: HttpRequest) -> HttpResponse:
    return feeds.ArticleRssFeed(scope=feeds.FeedScope.for_site())(request)


@require_safe
def site_atom(request: HttpRequest) -> HttpResponse:
    return feeds.ArticleAtomFeed(scope=feeds.FeedScope.for_site())(request)


def _search_request(request: HttpRequest) -> tuple[SearchRequest, list[str]]:
    """Parse the query string, collecting messages about whatever had to be dropped or cut."""
    messages = []
    query = " ".join(request.GET.get("q", "").split())
    if len(query) > MAX_QUERY_LENGTH:
        query = query[:MAX_QUERY_LENGTH]
        messages.append(f"Your search was cut to its first {MAX_QUERY_LENGTH} characters.")
    order = request.GET.get("order", "relevance")
    if order not in ORDERS:
        order = "relevance"
    channel = None
    channel_id = request.GET.get("channel", "")
    if channel_id:
        channel = (
            ChannelPage.objects.live().filter(pk=id_parse(channel_id)).first()
            if id_parse(channel_id)
            else None
        )
        if channel is None:
            messages.append("That channel does not exist; searching every channel.")
    return SearchRequest(query=query, order=order, channel=channel), messages


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    search_request, messages = _search_request(request)
    results = article_search(request=search_request)
    if isinstance(results, ArticleSearchResults):
        results = results.hits()  # what the cards show, without page objects
    page, message = paginate_counted(request, results, settings.MASTHEAD_PAGE_SIZE)
    if message:
        messages.append(message)
    if request.GET.get("page", "1") == "1" and search_request.terms:
        search_query_record(query=search_request.query, result_count=page.paginator.count)
    context = {
        "search": search_request,
        "results": page,
        "messages_for_search": messages,
        "channels": selectors.channel_list_all(),
        "orders": ORDERS,
    }
    return TemplateResponse(request, "news/search.html", context)


@require_safe
@cache_control(public=True, max_age=3600)
def robots_txt(request: HttpRequest) -> HttpResponse:
    base = request.build_absolute_uri("/").rstrip("/")
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        f"Sitemap: {base}/sitemap.xml",
        f"Sitemap: {base}/sitemap-news.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=300)
def news_sitemap(request: HttpRequest) -> HttpResponse:
    articles = sitemaps.news_sitemap_entries(request=request)
    return TemplateResponse(
        request,
        "news/sitemap_news.xml",
        {
            "articles": articles,
            "site_name": settings.MASTHEAD_SITE_NAME,
            "language": settings.LANGUAGE_CODE.split("-")[0],
        },
        content_type="application/xml; charset=utf-8",
    )
