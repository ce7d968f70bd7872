"""What every beacon endpoint (`POST /events`, `/events/shown`, `/events/widget-click`) does
before counting: refuse other sites' pages, answer bots without counting or issuing an id, and
give the reader its cookie."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Status

from masthead.engagement import budgets
from masthead.engagement.clients import Client, client_for_request
from masthead.engagement.readers import Reader, is_bot, reader_for_request, reader_remember


def same_origin(request: HttpRequest) -> bool:
    """Beacons come from our own pages; sendBeacon cannot carry a CSRF token, so check the origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


def beacon_start(request: HttpRequest, response: HttpResponse) -> tuple[Reader, Client] | Status:
    """The reader and client of a beacon worth counting, or the answer to give instead."""
    if not same_origin(request):
        return Status(403, {"error": "cross-site event"})
    if is_bot(request):  # answered, not counted, and given no id (ids are scarce per network)
        return Status(202, {"counted": False})
    reader, client = reader_for_request(request), client_for_request(request)
    reader_remember(response, reader, client)
    return reader, client


def event_wait(request: HttpRequest) -> float:
    """For `BudgetThrottle`: the shared per-network budget of view and click beacons."""
    return budgets.event_wait(client_for_request(request))


def analytics_wait(request: HttpRequest) -> float:
    """For `BudgetThrottle`: the shared per-network budget of the analytics beacons."""
    return budgets.analytics_wait(client_for_request(request))
