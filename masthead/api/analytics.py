"""Beacons for the analytics: what an article page showed and where its reader came from, and
which position of a widget was clicked. Counted once per reader per window (`engagement.hourly`),
within the same kind of shared per-network budget as `POST /events` (`api.beacon`)."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from masthead.api import beacon
from masthead.api.contract import BudgetThrottle, Error
from masthead.engagement import hourly
from masthead.news.ids import MAX_ID

router = Router(tags=["analytics"])
Widget = Literal[hourly.WIDGETS]  # type: ignore[valid-type]
Place = Literal[hourly.SOURCES]  # type: ignore[valid-type]


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


RESPONSES = {202: Counted, 403: Error, 404: Error}


@router.post(
    "/events/shown",
    response=RESPONSES,
    throttle=[BudgetThrottle(beacon.analytics_wait)],
    summary="An article page was seen: where the reader came from, how many items each widget showed",
)
def shown(request: HttpRequest, response: HttpResponse, event: ShownIn):
    start = beacon.beacon_start(request, response)
    if isinstance(start, beacon.Answer):
        return Status(start.status, start.body)
    reader, client = start
    counted = hourly.page_shown_submit(
        reader=reader,
        client=client,
        article_id=event.article,
        source=event.source,
        shown=dict(event.shown),
    )
    return Status(202, {"counted": counted})


@router.post(
    "/events/widget-click",
    response=RESPONSES,
    throttle=[BudgetThrottle(beacon.analytics_wait)],
    summary="A widget item was clicked, at a position (1 = first); counted for established readers",
)
def widget_click(request: HttpRequest, response: HttpResponse, event: WidgetClickIn):
    start = beacon.beacon_start(request, response)
    if isinstance(start, beacon.Answer):
        return Status(start.status, start.body)
    reader, _ = start
    counted = hourly.widget_click_submit(
        reader=reader,
        widget=event.widget,
        position=event.position,
        article_id=event.article,
        target_id=event.target,
    )
    return Status(202, {"counted": counted})
