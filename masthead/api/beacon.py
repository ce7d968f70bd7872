"""Beacons: what every beacon endpoint (`POST /events`, `/events/shown`, `/events/widget-click`)
does before counting — refuse other sites' pages, answer bots without counting or issuing an id,
give the reader its cookie — and the view beacon answered ahead of the middleware stack.

Every page view sends one, so it is the hottest write there is. `BeaconMiddleware` sits first in
MIDDLEWARE and answers it itself: no session, CSRF, auth, page-cache or security-header
middleware (a JSON answer to a beacon needs none of them), no URL resolution and no
django-ninja dispatch; what the beacon needs it does here, the same as the API would: the
body limit and the JSON error shape, the per-network budget with Retry-After, validation
against `EventIn` (the API's declared body), the origin check and bot filter, then `event_record`. The
API still declares the operation (its OpenAPI document describes this endpoint) and answers it
through the same `event_record` where this middleware is not installed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Schema
from pydantic import Field, ValidationError

from masthead.api.contract import validation_message
from masthead.api.middleware import MAX_BODY
from masthead.engagement import budgets, services
from masthead.engagement.clients import Client, client_for_request
from masthead.engagement.readers import Reader, is_bot, reader_for_request, reader_remember
from masthead.news.ids import MAX_ID

PATH = "/api/v1/events"


def same_origin(request: HttpRequest) -> bool:
    """Beacons come from our own pages; sendBeacon cannot carry a CSRF token, so check the origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


@dataclass(frozen=True)
class Answer:
    """What to answer a beacon that is not counted: an HTTP status and its JSON body."""

    status: int
    body: dict[str, object]


def beacon_start(request: HttpRequest, response: HttpResponse) -> tuple[Reader, Client] | Answer:
    """The reader and client of a beacon worth counting, or the answer to give instead."""
    if not same_origin(request):
        return Answer(403, {"error": "cross-site event"})
    if is_bot(request):  # answered, not counted, and given no id (ids are scarce per network)
        return Answer(202, {"counted": False})
    reader, client = reader_for_request(request), client_for_request(request)
    reader_remember(response, reader, client)
    return reader, client


def event_wait(request: HttpRequest) -> float:
    """For `BudgetThrottle`: the shared per-network budget of view and click beacons."""
    return budgets.event_wait(client_for_request(request))


def analytics_wait(request: HttpRequest) -> float:
    """For `BudgetThrottle`: the shared per-network budget of the analytics beacons."""
    return budgets.analytics_wait(client_for_request(request))


# A positive integer a database key can hold (larger is a 422).
Id = Annotated[int, Field(gt=0, le=MAX_ID)]


class EventIn(Schema):
    type: Literal["view", "click"]
    article: Id
    widget: str | None = Field(default=None, max_length=32)
    target: Id | None = None


def event_record(
    request: HttpRequest, response: HttpResponse, event: EventIn
) -> tuple[int, dict[str, object]]:
    """Count a beacon's view or click: (status, body) of the answer."""
    try:
        return _event_count(request, response, event)
    except services.UnknownArticle:
        return 404, {"error": "no such article"}


def _event_count(
    request: HttpRequest, response: HttpResponse, event: EventIn
) -> tuple[int, dict[str, object]]:
    start = beacon_start(request, response)
    if isinstance(start, Answer):
        return start.status, start.body
    reader, client = start
    if event.type == "view":
        counted = services.view_submit(reader=reader, client=client, article_id=event.article)
        return 202, {"counted": counted}
    if reader.is_new:
        return 202, {"counted": False}  # clicks count for established readers only
    if event.widget not in services.WIDGETS or event.target is None:
        return 422, {"error": "a click needs a known widget and a target article"}
    counted = services.click_record(
        reader=reader, widget=event.widget, article_id=event.article, target_id=event.target
    )
    return 202, {"counted": counted}


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _event_parse(request: HttpRequest) -> EventIn | JsonResponse:
    """The beacon's event, or the error to answer (once its budget has been spent)."""
    try:
        data = json.loads(request.body)
    except ValueError:
        return _error("Cannot parse request body", 400)
    try:
        return EventIn.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", "event", *e["loc"])} for e in exc.errors()]
        return _error(validation_message(errors), 422)


def beacon(request: HttpRequest) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error("bad Content-Length", 400)
    if length > MAX_BODY:
        return _error(f"body larger than {MAX_BODY} bytes", 413)
    # Parsed before the transaction so that no lock is held meanwhile; answered after the budget
    # check, so a malformed beacon spends budget as a valid one does.
    event = _event_parse(request)
    with services.beacon_transaction():
        wait = budgets.event_wait(client_for_request(request))
        if wait:
            limited = _error("Too many requests.", 429)
            limited["Retry-After"] = str(math.ceil(wait))
            return limited
        if isinstance(event, JsonResponse):
            return event
        response = HttpResponse(content_type="application/json; charset=utf-8")
        status, body = event_record(request, response, event)
    response.status_code = status
    response.content = json.dumps(body)
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class BeaconMiddleware:
    """First in MIDDLEWARE: answers `POST /api/v1/events` with `beacon`, and passes anything
    else on untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info == PATH:
            return beacon(request)
        return self.get_response(request)
