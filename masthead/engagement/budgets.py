"""What a client may do before it is an established reader, and how fast anyone may write.

Budgets are per client network (an IPv4 address, an IPv6 /64) and, for views, per user agent
too; every one is a shared, persistent rate limit (`limits`). See docs/engagement.md for the
design and its trade-offs.
"""

from __future__ import annotations

from django.conf import settings

from masthead.engagement.clients import Client
from masthead.engagement.limits import limit_key, limit_take


def _take(scope: str, rate: str, *parts: object) -> float:
    return limit_take(key=limit_key(scope, *parts), rate=rate)


def reader_mint_allowed(client: Client) -> bool:
    """May this network be given another new reader id now? (MASTHEAD_READER_MINT_RATE)"""
    return _take("mint", settings.MASTHEAD_READER_MINT_RATE, client.network) == 0


def anonymous_view_allowed(client: Client) -> bool:
    """May a view from a client without an established id count now? Within the budget of its
    network and user agent, and of its network over all agents (rotating agents buys nothing)."""
    by_agent = _take("anon-view", settings.MASTHEAD_ANON_VIEW_RATE, client.network, client.agent)
    if by_agent:
        return False
    return _take("anon-view-net", settings.MASTHEAD_ANON_VIEW_RATE_NETWORK, client.network) == 0


def anonymous_reader_id(client: Client) -> str:
    """The id views without an established reader are de-duplicated under: one per network and
    agent, so a client that drops its cookie counts one view per article per window."""
    return limit_key("anonymous", client.network, client.agent)[:32]


def anonymous_shown_allowed(client: Client) -> bool:
    """May an analytics beacon from a client without an established id count now? Its own budget
    (so the page's view beacon is not starved), at the anonymous views' rates."""
    by_agent = _take("anon-shown", settings.MASTHEAD_ANON_VIEW_RATE, client.network, client.agent)
    if by_agent:
        return False
    return _take("anon-shown-net", settings.MASTHEAD_ANON_VIEW_RATE_NETWORK, client.network) == 0


def event_wait(client: Client) -> float:
    """Seconds before this network may send another beacon (0: now). MASTHEAD_EVENT_RATE_IP."""
    return _take("events", settings.MASTHEAD_EVENT_RATE_IP, client.network)


def analytics_wait(client: Client) -> float:
    """Seconds before this network may send another analytics beacon (0: now), at the beacons'
    rate but in a budget of its own. MASTHEAD_EVENT_RATE_IP."""
    return _take("analytics", settings.MASTHEAD_EVENT_RATE_IP, client.network)


def reaction_wait(client: Client, reader_id: str | None) -> float:
    """Seconds before this reader and network may write another reaction (0: now)."""
    waits = [_take("reactions-net", settings.MASTHEAD_REACTION_RATE_IP, client.network)]
    if reader_id:
        waits.append(_take("reactions-reader", settings.MASTHEAD_REACTION_RATE_READER, reader_id))
    return max(waits)
