"""The HTTP API, version 1 (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware, get_token
from ninja import Path, Query, Schema, Status

from masthead.api import beacon
from masthead.api.contract import BudgetThrottle, Error, MastheadApi
from masthead.discovery import interface as discovery
from masthead.engagement import budgets, selectors, services
from masthead.engagement.clients import client_for_request
from masthead.engagement.readers import reader_for_request, reader_remember
from masthead.news.ids import MAX_ID, id_parse
from masthead.news.models import ArticlePage, ChannelPage, HomePage

api = MastheadApi(title="Masthead API", version="1", urls_namespace="api-v1")

# Every article id in a path: a positive integer a database key can hold (larger is a 422).
ArticleId = Annotated[int, Path(gt=0, le=MAX_ID)]


def _reaction_wait(request: HttpRequest) -> float:
    reader = reader_for_request(request)
    return budgets.reaction_wait(client_for_request(request), None if reader.is_new else reader.id)


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


@api.exception_handler(services.UnknownArticle)
def unknown_article(request, exc):
    return api.create_response(request, {"error": "no such article"}, status=404)


@api.exception_handler(services.UnknownReactionKind)
def unknown_kind(request, exc):
    return api.create_response(request, {"error": "no such reaction kind"}, status=404)


NOT_ESTABLISHED = "no reader id from an earlier visit: load the article page again, then react"


@api.post(
    "/events",
    response={202: EventOut, 403: Error, 404: Error, 422: Error},
    throttle=[BudgetThrottle(beacon.event_wait)],
    summary="Record a page view (beacon) or a widget click",
)
def events(request: HttpRequest, response: HttpResponse, event: beacon.EventIn):
    """Answered by `beacon.BeaconMiddleware` ahead of the middleware stack where it is installed
    (as in the site's settings); here for the API's document and for any other setup."""
    return Status(*beacon.event_record(request, response, event))


@api.get(
    "/articles/{article_id}/reader-context",
    response={200: ReaderContextOut, 403: Error, 404: Error},
    summary="What is personal on an article page: the reader's reactions, live counts, CSRF token",
)
def reader_context(request: HttpRequest, response: HttpResponse, article_id: ArticleId):
    article = ArticlePage.objects.live().filter(pk=article_id).only("id", "title").first()
    if article is None:
        raise services.UnknownArticle(article_id)
    reader = reader_for_request(request)
    reader_remember(response, reader, client_for_request(request))
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


def _csrf_failure(request: HttpRequest) -> HttpResponseBase | None:
    """Django's CSRF check for an API write (ninja's own csrf flag covers cookie auth only)."""
    check = CsrfViewMiddleware(lambda r: HttpResponse())
    return check.process_view(request, lambda r: HttpResponse(), (), {})


@api.put(
    "/articles/{article_id}/reactions/{kind}",
    response={200: ReactionOut, 403: Error, 404: Error},
    throttle=[BudgetThrottle(_reaction_wait)],
    summary="Set the reader's reaction of a kind on or off (idempotent)",
)
def reaction_put(
    request: HttpRequest,
    response: HttpResponse,
    article_id: ArticleId,
    kind: Annotated[str, Path(max_length=32)],
    body: ReactionIn,
):
    if _csrf_failure(request) is not None:
        return Status(403, {"error": "CSRF check failed; reload the page"})
    reader = reader_for_request(request)
    reader_remember(response, reader, client_for_request(request))
    if reader.is_new:  # the cookie just set (if any) makes the next try count, not this one
        return Status(403, {"error": NOT_ESTABLISHED})
    state = services.reaction_set(
        reader=reader, article_id=article_id, kind=kind, active=body.active
    )
    return Status(200, state.__dict__)


@api.get("/ranking", response={200: list[RankedOut], 404: Error}, summary="Most read now")
def ranking(
    request: HttpRequest,
    response: HttpResponse,
    channel: str = Query("", max_length=255),
    window: Literal["1h", "24h", "7d"] = "24h",
    limit: int = Query(8, ge=1, le=50),
):
    if channel:
        channel_id = id_parse(channel)
        lookup = {"pk": channel_id} if channel_id else {"slug": channel}
        within = ChannelPage.objects.live().filter(**lookup).first()
        if within is None:
            return Status(404, {"error": "no such channel"})
    else:
        within = HomePage.objects.live().first()
    # The same for every reader and refreshed every minute: shared caches may keep it that long.
    response["Cache-Control"] = f"public, max-age={settings.MASTHEAD_RANKING_CACHE_SECONDS}"
    return Status(
        200, _items(request, discovery.ranking(within=within, window=window, limit=limit))
    )


@api.get(
    "/articles/{article_id}/discovery",
    response={200: dict[str, list[RankedOut]], 404: Error},
    summary="An article's Related, Like (readers of this also read) and story lists",
)
def article_discovery(request: HttpRequest, article_id: ArticleId):
    article = ArticlePage.objects.live().filter(pk=article_id).first()
    if article is None:
        return Status(404, {"error": "no such article"})
    lists = discovery.article_lists(article)
    return Status(
        200,
        {
            "related": _items(request, lists.related),
            "like": _items(request, lists.like),
            "story": _items(request, lists.story),
        },
    )


api.add_router("", "masthead.api.read.router")
api.add_router("", "masthead.api.analytics.router")
