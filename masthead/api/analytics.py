"""Beacons for the analytics: what an article page showed and where its reader came from, and
which position of a widget was clicked. Counted once per reader per window (`engagement.hourly`)."""

from __future__ import annotations

from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.throttling import SimpleRateThrottle
from pydantic import Field

from masthead.engagement import hourly
from masthead.engagement.clients import client_for_request
from masthead.engagement.readers import client_ip, is_bot, reader_for_request, reader_remember
from masthead.news.ids import MAX_ID

router = Router(tags=["analytics"])
Widget = Literal[hourly.WIDGETS]  # type: ignore[valid-type]
Place = Literal[hourly.SOURCES]  # type: ignore[valid-type]


class PerAddress(SimpleRateThrottle):
    def get_cache_key(self, request: HttpRequest) -> str:
        return f"throttle:analytics-ip:{client_ip(request)}"


class Error(Schema):
    error: str


class Counted(Schema):
    counted: bool


class ShownIn(Schema):
    article: int = Field(gt=0, le=MAX_ID)
    source: Place = "direct"
    # Items each widget showed: a page shows a few dozen at most.
    shown: dict[Widget, Annotated[int, Field(ge=0, le=100)]] = Field(
        default_factory=dict, max_length=len(hourly.WIDGETS)
    )


class WidgetClickIn(Schema):
    article: int = Field(gt=0, le=MAX_ID)
    widget: Widget
    position: int = Field(ge=1, le=1000)
    target: int = Field(gt=0, le=MAX_ID)


def _same_origin(request: HttpRequest) -> bool:
    """Beacons come from our own pages (sendBeacon carries no CSRF token): check the origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


RESPONSES = {202: Counted, 403: Error, 404: Error}


@router.post(
    "/events/shown",
    response=RESPONSES,
    throttle=[PerAddress(settings.MASTHEAD_EVENT_RATE_IP)],
    summary="An article page was seen: where the reader came from, how many items each widget showed",
)
def shown(request: HttpRequest, response: HttpResponse, event: ShownIn):
    if not _same_origin(request):
        return Status(403, {"error": "cross-site event"})
    reader = reader_for_request(request)
    reader_remember(response, reader, client_for_request(request))
    if is_bot(request):
        return Status(202, {"counted": False})
    counted = hourly.page_shown_record(
        reader_id=reader.id, article_id=event.article, source=event.source, shown=dict(event.shown)
    )
    return Status(202, {"counted": counted})


@router.post(
    "/events/widget-click",
    response=RESPONSES,
    throttle=[PerAddress(settings.MASTHEAD_EVENT_RATE_IP)],
    summary="A widget item was clicked, at a position (1 = first)",
)
def widget_click(request: HttpRequest, response: HttpResponse, event: WidgetClickIn):
    if not _same_origin(request):
        return Status(403, {"error": "cross-site event"})
    reader = reader_for_request(request)
    reader_remember(response, reader, client_for_request(request))
    if is_bot(request):
        return Status(202, {"counted": False})
    counted = hourly.widget_click_record(
        reader_id=reader.id,
        widget=event.widget,
        position=event.position,
        article_id=event.article,
        target_id=event.target,
    )
    return Status(202, {"counted": counted})
