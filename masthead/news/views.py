"""Site views outside the page tree: tags, search, feeds, sitemaps and robots.txt."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from taggit.models import Tag

from masthead.news import feeds, selectors, sitemaps
from masthead.news.models import ChannelPage
from masthead.news.pagination import paginate, paginate_counted
from masthead.news.search import MAX_QUERY_LENGTH, ORDERS, SearchRequest, article_search
from masthead.news.search_log import search_query_record


def _tag(slug: str) -> Tag:
    return get_object_or_404(Tag, slug=slug[:100])


@require_safe
def tag_index(request: HttpRequest, slug: str) -> HttpResponse:
    tag = _tag(slug)
    page, message = paginate(
        request, selectors.article_list_for_tag(slug=tag.slug), settings.MASTHEAD_PAGE_SIZE
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
            ChannelPage.objects.live().filter(pk=channel_id).first()
            if channel_id.isdigit()
            else None
        )
        if channel is None:
            messages.append("That channel does not exist; searching every channel.")
    return SearchRequest(query=query, order=order, channel=channel), messages


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    search_request, messages = _search_request(request)
    page, message = paginate_counted(
        request, article_search(request=search_request), settings.MASTHEAD_PAGE_SIZE
    )
    if message:
        messages.append(message)
    if request.GET.get("page", "1") == "1" and search_request.terms:
        search_query_record(query=search_request.query, result_count=page.paginator.count)
    context = {
        "search": search_request,
        "results": page,
        "messages_for_search": messages,
        "channels": ChannelPage.objects.live().order_by("path").only("title", "path", "depth"),
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
