"""The beacon (`POST /api/v1/events`), answered ahead of the middleware stack.

Every page view sends one, so it is the hottest write there is. `BeaconMiddleware` sits first in
MIDDLEWARE and answers it itself: no session, CSRF, auth, page-cache or security-header
middleware (a JSON answer to a beacon needs none of them), no URL resolution and no
django-ninja dispatch; what the beacon needs it does here, the same as the API would: the
body limit and the JSON error shape, the per-network budget with Retry-After, validation
against the API's own `EventIn`, the origin check and bot filter, then `event_record`. The
API still declares the operation (its OpenAPI document describes this endpoint) and answers it
through the same `event_record` where this middleware is not installed.
"""

from __future__ import annotations

import json
import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from pydantic import ValidationError

from masthead.api.contract import validation_message
from masthead.api.middleware import MAX_BODY
from masthead.engagement import budgets
from masthead.engagement.clients import client_for_request

PATH = "/api/v1/events"


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def beacon(request: HttpRequest) -> HttpResponse:
    from masthead.api.api import EventIn, event_record  # the API module loads the whole API

    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error("bad Content-Length", 400)
    if length > MAX_BODY:
        return _error(f"body larger than {MAX_BODY} bytes", 413)
    wait = budgets.event_wait(client_for_request(request))
    if wait:
        limited = _error("Too many requests.", 429)
        limited["Retry-After"] = str(math.ceil(wait))
        return limited
    try:
        data = json.loads(request.body)
    except ValueError:
        return _error("Cannot parse request body", 400)
    try:
        event = EventIn.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", "event", *e["loc"])} for e in exc.errors()]
        return _error(validation_message(errors), 422)
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
