"""The HTTP API, version 1 (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from typing import Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from ninja import NinjaAPI, Query, Schema, Status
from ninja.throttling import SimpleRateThrottle
from pydantic import Field

from masthead.discovery import interface as discovery
from masthead.engagement import selectors, services
from masthead.engagement.readers import (
    ForgedReader,
    client_ip,
    is_bot,
    reader_for_request,
    reader_remember,
)
from masthead.news.models import ArticlePage, ChannelPage, HomePage

api = NinjaAPI(title="Masthead API", version="1", urls_namespace="api-v1")


class RateThrottle(SimpleRateThrottle):
    """A fixed rate per key; the key is the client address or the reader id."""

    def __init__(self, scope: str, rate: str, by: Literal["ip", "reader"]):
        self.scope, self.by = scope, by
        super().__init__(rate)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if self.by == "ip":
            ident = client_ip(request)
        else:
            ident = request.COOKIES.get("mh_reader")
            if not ident:
                return None  # a request without a reader id gets one; the IP limit still applies
        return f"throttle:{self.scope}:{ident}"


class Error(Schema):
    error: str


class EventIn(Schema):
    type: Literal["view", "click"]
    article: int = Field(gt=0)
    widget: str | None = Field(default=None, max_length=32)
    target: int | None = Field(default=None, gt=0)


class EventOut(Schema):
    counted: bool


class ReactionIn(Schema):
    active: bool


class ReactionOut(Schema):
    kind: str
    label: str
    count: int
    active: bool


class RankedOut(Schema):
    id: int
    title: str
    url: str
    reason: str
    score: float


class ReaderContextOut(Schema):
    article: int
    private: bool
    reactions: list[ReactionOut]
    recommendation: list[RankedOut]
    recommendation_personal: bool
    csrf_token: str


def _items(request: HttpRequest, items) -> list[dict]:
    return [
        {
            "id": i.article.pk,
            "title": i.article.title,
            "url": i.article.get_url(request),
            "reason": i.reason,
            "score": round(i.score, 3),
        }
        for i in items
    ]


@api.exception_handler(ForgedReader)
def forged_reader(request, exc):
    return api.create_response(request, {"error": "unknown reader id"}, status=403)


@api.exception_handler(services.UnknownArticle)
def unknown_article(request, exc):
    return api.create_response(request, {"error": "no such article"}, status=404)


@api.exception_handler(services.UnknownReactionKind)
def unknown_kind(request, exc):
    return api.create_response(request, {"error": "no such reaction kind"}, status=404)


def _same_origin(request: HttpRequest) -> bool:
    """Beacons come from our own pages; sendBeacon cannot carry a CSRF token, so check the origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


@api.post(
    "/events",
    response={202: EventOut, 403: Error, 404: Error, 422: Error},
    throttle=[RateThrottle("events-ip", settings.MASTHEAD_EVENT_RATE_IP, "ip")],
    summary="Record a page view (beacon) or a widget click",
)
def events(request: HttpRequest, response: HttpResponse, event: EventIn):
    if not _same_origin(request):
        return Status(403, {"error": "cross-site event"})
    reader = reader_for_request(request)
    reader_remember(response, reader)
    if is_bot(request):
        return Status(202, {"counted": False})
    if event.type == "view":
        return Status(
            202, {"counted": services.view_record(reader=reader, article_id=event.article)}
        )
    if event.widget not in services.WIDGETS or event.target is None:
        return Status(422, {"error": "a click needs a known widget and a target article"})
    counted = services.click_record(
        reader=reader, widget=event.widget, article_id=event.article, target_id=event.target
    )
    return Status(202, {"counted": counted})


@api.get(
    "/articles/{article_id}/reader-context",
    response={200: ReaderContextOut, 403: Error, 404: Error},
    summary="What is personal on an article page: the reader's reactions, live counts, CSRF token",
)
def reader_context(request: HttpRequest, response: HttpResponse, article_id: int):
    article = ArticlePage.objects.live().filter(pk=article_id).only("id", "title").first()
    if article is None:
        raise services.UnknownArticle(article_id)
    reader = reader_for_request(request)
    reader_remember(response, reader)
    response["Cache-Control"] = "private, no-store"
    return Status(
        200,
        {
            "article": article_id,
            "private": reader.is_private,
            "reactions": selectors.reaction_states(
                article_id=article_id, reader_id=None if reader.is_new else reader.id
            ),
            "recommendation": _items(request, discovery.recommend(reader, article)),
            "recommendation_personal": discovery.is_personal(reader),
            "csrf_token": get_token(request),
        },
    )


@api.put(
    "/articles/{article_id}/reactions/{kind}",
    response={200: ReactionOut, 403: Error, 404: Error},
    throttle=[
        RateThrottle("reactions-reader", settings.MASTHEAD_REACTION_RATE_READER, "reader"),
        RateThrottle("reactions-ip", settings.MASTHEAD_REACTION_RATE_IP, "ip"),
    ],
    summary="Set the reader's reaction of a kind on or off (idempotent)",
)
def reaction_put(
    request: HttpRequest, response: HttpResponse, article_id: int, kind: str, body: ReactionIn
):
    if CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None:
        return Status(403, {"error": "CSRF check failed; reload the page"})
    reader = reader_for_request(request)
    state = services.reaction_set(
        reader=reader, article_id=article_id, kind=kind, active=body.active
    )
    reader_remember(response, reader)
    return Status(200, state.__dict__)


@api.get("/ranking", response={200: list[RankedOut], 404: Error}, summary="Most read now")
def ranking(
    request: HttpRequest,
    channel: str = "",
    window: Literal["1h", "24h", "7d"] = "24h",
    limit: int = Query(8, ge=1, le=50),
):
    if channel:
        lookup = {"pk": int(channel)} if channel.isdigit() else {"slug": channel[:100]}
        within = ChannelPage.objects.live().filter(**lookup).first()
        if within is None:
            return Status(404, {"error": "no such channel"})
    else:
        within = HomePage.objects.live().first()
    return Status(
        200, _items(request, discovery.ranking(within=within, window=window, limit=limit))
    )


@api.get(
    "/articles/{article_id}/discovery",
    response={200: dict[str, list[RankedOut]], 404: Error},
    summary="An article's Related, Like (readers of this also read) and story lists",
)
def article_discovery(request: HttpRequest, article_id: int):
    article = ArticlePage.objects.live().filter(pk=article_id).first()
    if article is None:
        return Status(404, {"error": "no such article"})
    lists = discovery.article_lists(article)
    return Status(
        200,
        {
            "related": _items(request, lists.related),
            "like": _items(request, lists.also_read),
            "story": _items(request, lists.story),
        },
    )


api.add_router("", "masthead.api.read.router")
api.add_router("", "masthead.api.analytics.router")
