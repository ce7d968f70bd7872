"""The headless read API under /api/v1/: articles, channels, tags, search, stories, lists.

Read-only and public by default (MASTHEAD_API_KEY_REQUIRED=1 asks for an `X-API-Key` from
MASTHEAD_API_KEYS). Every answer carries an ETag made from the site's content generation, which
publishing bumps exactly as it does for pages, so a client's If-None-Match gets a 304 until the
content changes, without a query; article details also answer If-Modified-Since.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from datetime import UTC, datetime
from hmac import compare_digest
from typing import Annotated

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from ninja import Path, Query, Router, Schema, Status
from ninja.security import APIKeyHeader
from pydantic import AfterValidator, Field
from taggit.models import Tag
from wagtail.models import Page
from wagtail.rich_text import expand_db_html

from masthead.discovery import desk
from masthead.discovery import interface as discovery
from masthead.news.cache import content_generation
from masthead.news.ids import MAX_ID, id_parse
from masthead.news.models import ArticlePage, ChannelPage
from masthead.news.search import (
    COUNT_CAP,
    MAX_QUERY_LENGTH,
    ORDERS,
    SearchRequest,
    article_search,
)
from masthead.news.selectors import article_list_latest

# Path ids the read API takes: what a database key can hold (larger is a 422, never a 500).
# Story numbers below zero are editors' locked groupings.
ArticleId = Annotated[int, Path(gt=0, le=MAX_ID)]
StoryId = Annotated[int, Path(ge=-MAX_ID, le=MAX_ID)]

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_SEARCH_OFFSET = 10_000
RENDITIONS = {"thumbnail": "fill-320x180", "medium": "width-800", "large": "width-1600"}


class ReadKey(APIKeyHeader):
    """Everyone, unless MASTHEAD_API_KEY_REQUIRED; then a key from MASTHEAD_API_KEYS."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> str | None:
        if not settings.MASTHEAD_API_KEY_REQUIRED:
            return "public"
        if key and any(compare_digest(key, known) for known in settings.MASTHEAD_API_KEYS):
            return key
        return None


router = Router(auth=ReadKey(), tags=["read"])


class Error(Schema):
    error: str


class Unauthorized(Schema):
    detail: str


def _responses(ok: type, *errors: int) -> dict:
    out: dict = {200: ok, 304: None, 401: Unauthorized}
    out |= {code: Error for code in errors}
    return out


# -- caching -----------------------------------------------------------------------------------


def _etag(request: HttpRequest) -> str:
    # Lists that follow reader traffic (Recommendation's trending part) change with each
    # Ranking refresh, not only when content does.
    volatile = request.path.endswith("/recommendation")
    period = int(time.time() // settings.MASTHEAD_RANKING_CACHE_SECONDS) if volatile else 0
    key = f"{content_generation()}|{period}|{request.get_full_path()}".encode()
    return f'W/"{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


def _not_modified(
    request: HttpRequest, last_modified: datetime | None = None
) -> HttpResponse | None:
    """A 304 when the client's copy is current (ETag first, then Last-Modified)."""
    etag = _etag(request)
    wanted = request.headers.get("If-None-Match")
    if wanted is not None:
        if etag in [t.strip() for t in wanted.split(",")] or wanted.strip() == "*":
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        return None
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if last_modified is not None and since is not None and int(last_modified.timestamp()) <= since:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    return None


def _cacheable(request: HttpRequest, response: HttpResponse, last_modified: datetime | None = None):
    response["ETag"] = _etag(request)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    if settings.MASTHEAD_API_KEY_REQUIRED:
        response["Cache-Control"] = "private, max-age=0, must-revalidate"
    else:
        response["Cache-Control"] = f"public, max-age={settings.MASTHEAD_CACHE_CONTROL_MAX_AGE}"
    response["Vary"] = "X-API-Key"


# -- shapes ------------------------------------------------------------------------------------


class ChannelRef(Schema):
    id: int
    title: str
    slug: str
    url: str


class ArticleSummary(Schema):
    id: int
    title: str
    dek: str
    url: str
    published_at: datetime | None
    updated_at: datetime | None
    channel: ChannelRef | None
    column: str
    source_name: str
    tags: list[str]


class ArticlePage_(Schema):
    items: list[ArticleSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class TagOut(Schema):
    slug: str
    name: str


class ImageOut(Schema):
    id: int
    title: str
    width: int
    height: int
    renditions: dict[str, str]


class SourceOut(Schema):
    name: str
    url: str
    canonical_url: str


class Block(Schema):
    type: str
    value: dict | str | None


class ArticleDetail(ArticleSummary):
    byline: str
    channel_path: list[ChannelRef]
    lead_image: ImageOut | None
    lead_image_caption: str
    source: SourceOut
    body: list[Block]


class ChannelNode(Schema):
    id: int
    title: str
    slug: str
    url: str
    children: list[ChannelNode]


class SearchPage(Schema):
    count: int = Field(description=f"Stories matching, counted up to {COUNT_CAP:,}")
    count_capped: bool = Field(description=f"More than {COUNT_CAP:,} stories match")
    items: list[ArticleSummary]
    next_page: int | None


class StoryOut(Schema):
    story: int
    article_count: int
    first_at: datetime
    latest_at: datetime
    title: str
    is_locked: bool


class StoryDetail(Schema):
    story: int
    is_locked: bool
    articles: list[ArticleSummary]


class ListItem(Schema):
    id: int
    title: str
    url: str
    reason: str


# -- helpers -----------------------------------------------------------------------------------


def _channels() -> dict[str, ChannelPage]:
    return {
        c.path: c
        for c in ChannelPage.objects.live().only("id", "title", "slug", "url_path", "path", "depth")
    }


def _channel_ref(request: HttpRequest, channel: Page) -> dict:
    return {
        "id": channel.pk,
        "title": channel.title,
        "slug": channel.slug,
        "url": channel.get_url(request),
    }


def _parent_path(page: Page) -> str:
    return page.path[: -Page.steplen]


def _summaries(request: HttpRequest, articles: list[ArticlePage]) -> list[dict]:
    channels = _channels()
    tags: dict[int, list[str]] = {}
    rows = ArticlePage.tags.through.objects.filter(content_object_id__in=[a.pk for a in articles])
    for article_id, slug in rows.order_by("tag__name").values_list(
        "content_object_id", "tag__slug"
    ):
        tags.setdefault(article_id, []).append(slug)
    return [
        {
            "id": a.pk,
            "title": a.title,
            "dek": a.dek,
            "url": a.get_url(request),
            "published_at": a.published_at,
            "updated_at": a.updated_at,
            "channel": _channel_ref(request, channels[_parent_path(a)])
            if _parent_path(a) in channels
            else None,
            "column": a.column,
            "source_name": a.source_name,
            "tags": tags.get(a.pk, []),
        }
        for a in articles
    ]


def _cursor_encode(article: ArticlePage) -> str:
    assert article.published_at is not None  # listings hold live articles, which have a date
    raw = f"{article.published_at.isoformat()}|{article.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class BadCursor(ValueError):
    pass


def _cursor_decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|")
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error) as error:
        raise BadCursor from error


def _channel(lookup: str) -> ChannelPage | None:
    if lookup.isdigit():  # digits only: an id, which must fit a database key
        pk = id_parse(lookup)
        return ChannelPage.objects.live().filter(pk=pk).first() if pk else None
    return ChannelPage.objects.live().filter(slug=lookup[:100]).first()


# -- endpoints ---------------------------------------------------------------------------------


def _in_utc(value: datetime | None) -> datetime | None:
    """The instant in UTC (without an offset: taken as UTC). PostgreSQL takes offsets within
    ±15:59 only, so every instant goes to the database in UTC; one before year 1 there is a 422."""
    if value is None or value.tzinfo is None:
        return value and value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("a date and time between the years 1 and 9999 in UTC") from exc


Instant = Annotated[datetime | None, AfterValidator(_in_utc)]


class ArticleFilters(Schema):
    channel: str = Field("", description="Channel id or slug; its sub-channels are included.")
    tag: str = Field("", max_length=100, description="Tag slug.")
    since: Instant = Field(None, description="Published at or after (ISO 8601).")
    until: Instant = Field(None, description="Published before (ISO 8601).")
    cursor: str = Field("", max_length=200)
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


@router.get(
    "/articles", response=_responses(ArticlePage_, 400, 404), summary="Live articles, newest first"
)
def articles(request: HttpRequest, response: HttpResponse, filters: Query[ArticleFilters]):
    if (cached := _not_modified(request)) is not None:
        return cached
    within = None
    if filters.channel:
        within = _channel(filters.channel)
        if within is None:
            return Status(404, {"error": "no such channel"})
    rows = article_list_latest(within=within).exclude(published_at=None)
    if filters.tag:
        rows = rows.filter(tagged_items__tag__slug=filters.tag)
    if filters.since:
        rows = rows.filter(published_at__gte=filters.since)
    if filters.until:
        rows = rows.filter(published_at__lt=filters.until)
    if filters.cursor:
        try:
            at, pk = _cursor_decode(filters.cursor)
        except BadCursor:
            return Status(400, {"error": "that cursor is not one this API gave out"})
        rows = rows.filter(published_at__lte=at).exclude(published_at=at, pk__gte=pk)
    page = list(rows[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    _cacheable(request, response)
    return Status(
        200,
        {
            "items": _summaries(request, page),
            "next_cursor": _cursor_encode(page[-1]) if more else None,
        },
    )


def _image(image) -> dict | None:
    if image is None:
        return None
    return {
        "id": image.pk,
        "title": image.title,
        "width": image.width,
        "height": image.height,
        "renditions": {name: image.get_rendition(spec).url for name, spec in RENDITIONS.items()},
    }


def _block(block) -> dict:
    """One body block as plain JSON: rich text expanded to public HTML, images with renditions."""
    kind, value = block.block_type, block.value
    if kind == "paragraph":
        return {"type": kind, "value": expand_db_html(value.source)}
    if kind == "image":
        return {
            "type": kind,
            "value": {
                "image": _image(value["image"]),
                "caption": value["caption"],
                "credit": value["credit"],
            },
        }
    if kind == "embed":
        return {"type": kind, "value": {"url": value.url if value else ""}}
    return {"type": kind, "value": dict(block.block.get_api_representation(value))}


@router.get(
    "/articles/{article_id}", response=_responses(ArticleDetail, 404), summary="One live article"
)
def article_detail(request: HttpRequest, response: HttpResponse, article_id: ArticleId):
    article = ArticlePage.objects.live().select_related("lead_image").filter(pk=article_id).first()
    if article is None:
        return Status(404, {"error": "no such article"})
    if (cached := _not_modified(request, article.last_published_at)) is not None:
        return cached
    channels = _channels()
    trail = [channels[p] for p in sorted(channels) if article.path.startswith(p)]
    own = request.build_absolute_uri(article.get_url(request))
    canonical = article.source_url if article.is_canonical_at_source and article.source_url else own
    detail = _summaries(request, [article])[0] | {
        "byline": article.byline,
        "channel_path": [_channel_ref(request, c) for c in trail],
        "lead_image": _image(article.lead_image),
        "lead_image_caption": article.lead_image_caption,
        "source": {
            "name": article.source_name or article.column,
            "url": article.source_url,
            "canonical_url": canonical,
        },
        "body": [_block(b) for b in article.body],
    }
    _cacheable(request, response, article.last_published_at)
    return Status(200, detail)


@router.get("/channels", response=_responses(list[ChannelNode]), summary="The channel tree")
def channels(request: HttpRequest, response: HttpResponse):
    if (cached := _not_modified(request)) is not None:
        return cached
    nodes: dict[str, dict] = {}
    roots: list[dict] = []
    for channel in sorted(_channels().values(), key=lambda c: c.path):
        node = _channel_ref(request, channel) | {"children": []}
        nodes[channel.path] = node
        parent = nodes.get(_parent_path(channel))
        (parent["children"] if parent else roots).append(node)
    _cacheable(request, response)
    return Status(200, roots)


class TagFilters(Schema):
    prefix: str = Field("", max_length=100)
    after: str = Field("", max_length=100, description="Tags whose slug sorts after this one.")
    limit: int = Field(100, ge=1, le=500)


@router.get("/tags", response=_responses(list[TagOut]), summary="Tags, by slug")
def tags(request: HttpRequest, response: HttpResponse, filters: Query[TagFilters]):
    if (cached := _not_modified(request)) is not None:
        return cached
    rows = Tag.objects.order_by("slug")
    if filters.prefix:
        rows = rows.filter(slug__startswith=filters.prefix.lower())
    if filters.after:
        rows = rows.filter(slug__gt=filters.after)
    _cacheable(request, response)
    return Status(
        200, [{"slug": s, "name": n} for s, n in rows.values_list("slug", "name")[: filters.limit]]
    )


class SearchFilters(Schema):
    q: str = Field(..., min_length=1, max_length=MAX_QUERY_LENGTH)
    order: str = Field("relevance", pattern="^(relevance|newest)$")
    channel: str = ""
    page: int = Field(1, ge=1, le=MAX_SEARCH_OFFSET // PAGE_SIZE)
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


@router.get(
    "/search", response=_responses(SearchPage, 404), summary="Search, ranked as on the site"
)
def search(request: HttpRequest, response: HttpResponse, filters: Query[SearchFilters]):
    if (cached := _not_modified(request)) is not None:
        return cached
    channel = None
    if filters.channel:
        channel = _channel(filters.channel)
        if channel is None:
            return Status(404, {"error": "no such channel"})
    order = filters.order if filters.order in ORDERS else "relevance"
    results = article_search(request=SearchRequest(query=filters.q, order=order, channel=channel))
    start = (filters.page - 1) * filters.limit
    found = list(results[start : start + filters.limit + 1])
    more = len(found) > filters.limit and start + filters.limit < MAX_SEARCH_OFFSET
    found = found[: filters.limit]
    count = (
        results.count()
        if hasattr(results, "count") and not isinstance(results, list)
        else len(results)
    )
    _cacheable(request, response)
    return Status(
        200,
        {
            "count": count,
            "count_capped": bool(getattr(results, "is_capped", False)),
            "items": _summaries(request, found),
            "next_page": filters.page + 1 if more else None,
        },
    )


@router.get(
    "/stories",
    response=_responses(list[StoryOut]),
    summary="Recent stories with more than one article",
)
def stories(
    request: HttpRequest,
    response: HttpResponse,
    days: int = Query(2, ge=1, le=14),
    limit: int = Query(20, ge=1, le=50),
):
    if (cached := _not_modified(request)) is not None:
        return cached
    _cacheable(request, response)
    return Status(200, [s.__dict__ for s in desk.story_list_recent(days=days, limit=limit)])


@router.get(
    "/stories/{story}", response=_responses(StoryDetail, 404), summary="One story's live articles"
)
def story_detail(request: HttpRequest, response: HttpResponse, story: StoryId):
    if (cached := _not_modified(request)) is not None:
        return cached
    live = [m.article for m in desk.story_detail(story=story) if m.article.live]
    if not live:
        return Status(404, {"error": "no such story"})
    _cacheable(request, response)
    return Status(
        200, {"story": story, "is_locked": story < 0, "articles": _summaries(request, live)}
    )


@router.get(
    "/recommendation",
    response=_responses(list[ListItem]),
    summary="Recommendation for a reader without history",
)
def recommendation(
    request: HttpRequest, response: HttpResponse, limit: int = Query(8, ge=1, le=20)
):
    """The list a new reader gets (editors' picks, trending, fresh); personal lists come from
    /articles/{id}/reader-context."""
    if (cached := _not_modified(request)) is not None:
        return cached
    items = discovery.recommend(None, limit=limit)
    _cacheable(request, response)
    return Status(
        200,
        [
            {
                "id": i.article.pk,
                "title": i.article.title,
                "url": i.article.get_url(request),
                "reason": i.reason,
            }
            for i in items
        ],
    )
