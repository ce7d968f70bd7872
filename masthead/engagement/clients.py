"""Where a request comes from, as the budgets and rate limits see it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

AGENT_LENGTH = 256  # user agents longer than this are the same agent for budgets


@dataclass(frozen=True)
class Client:
    """A request's network (an IPv4 address or an IPv6 /64) and user agent."""

    network: str
    agent: str


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with MASTHEAD_BEHIND_PROXY the address the trusted
    proxy appended last to X-Forwarded-For (earlier entries are whatever the client claimed)."""
    if settings.MASTHEAD_BEHIND_PROXY:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def network_of(address: str) -> str:
    """An IPv4 address itself; an IPv6 address's /64, which one subscriber usually holds whole
    (so rotating addresses inside it buys nothing)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def client_for_request(request: HttpRequest) -> Client:
    agent = request.headers.get("User-Agent", "")[:AGENT_LENGTH]
    return Client(network=network_of(client_ip(request)), agent=agent)
