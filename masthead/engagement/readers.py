"""Anonymous first-party reader identity: a random id in a signed cookie, with its issue time.

A reader is *established* when its request carries an id that an earlier response issued (the
signature checks out with SECRET_KEY or one of SECRET_KEY_FALLBACKS). Anyone else is a new
reader: a cookie the server did not sign, or signed with a retired key, is treated like no
cookie at all, and a fresh id is offered. New ids are issued sparingly per client network
(`budgets.reader_mint_allowed`), so dropping the cookie cannot buy a stream of fresh readers.

A browser that sends Global Privacy Control or Do-Not-Track is still counted in aggregate but
has no history kept and gets nothing personalized.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from masthead.engagement.budgets import reader_mint_allowed
from masthead.engagement.clients import Client, client_ip  # noqa: F401 (client_ip: public here too)

COOKIE = "mh_reader"
SALT = "masthead.reader"
MAX_AGE = 60 * 60 * 24 * 400  # browsers cap cookies at 400 days; the server holds to it too
BOT_AGENT = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|monitor|pingdom|"
    r"curl|wget|python-|httpx|go-http|java/|okhttp|libwww|scrapy|phantomjs|headless|lighthouse",
    re.IGNORECASE,
)
_PAYLOAD = re.compile(r"(?P<id>[0-9a-f]{32})(?::(?P<issued>[0-9]{1,12}))?")


@dataclass(frozen=True)
class Reader:
    """`is_new`: the id was not issued by an earlier response (not an established reader)."""

    id: str
    is_private: bool
    is_new: bool
    issued_at: int = 0
    # The cookie to send back: a new id's, or an established id re-signed with today's key.
    cookie: str = ""


def reader_cookie(reader_id: str, issued_at: int) -> str:
    """The signed cookie value for a reader id issued at `issued_at` (Unix seconds)."""
    return signing.Signer(salt=SALT).sign(f"{reader_id}:{issued_at}")


def _verified(raw: str) -> tuple[str, int, bool] | None:
    """(reader id, issue time, signed with a retired key or in the older format) or None."""
    try:
        payload = signing.Signer(salt=SALT, fallback_keys=[]).unsign(raw)
        current = True
    except signing.BadSignature:
        try:
            payload = signing.Signer(salt=SALT).unsign(raw)  # SECRET_KEY_FALLBACKS
        except signing.BadSignature:
            return None
        current = False
    match = _PAYLOAD.fullmatch(payload)
    if match is None:
        return None
    issued = int(match["issued"] or 0)
    if issued > time.time() + 60 or (issued and issued < time.time() - MAX_AGE):
        return None
    # Ids issued before issue times were signed in are established; they get one now.
    return match["id"], issued or int(time.time()), not current or not match["issued"]


def reader_for_request(request: HttpRequest) -> Reader:
    """The reader making `request`: established if it carries an id an earlier response issued,
    otherwise new (with an id to offer, which `reader_remember` sets if the budget allows)."""
    private = request.headers.get("Sec-GPC") == "1" or request.headers.get("DNT") == "1"
    verified = _verified(request.COOKIES.get(COOKIE, ""))
    if verified is None:
        return Reader(id=secrets.token_hex(16), is_private=private, is_new=True)
    reader_id, issued, stale = verified
    return Reader(
        id=reader_id,
        is_private=private,
        is_new=False,
        issued_at=issued,
        cookie=reader_cookie(reader_id, issued) if stale else "",
    )


def reader_remember(response: HttpResponse, reader: Reader, client: Client) -> None:
    """Set the reader cookie on `response`: for a new reader when its network may have another
    new id now, and for an established one whose cookie needs re-signing."""
    value = reader.cookie
    if reader.is_new and reader_mint_allowed(client):
        value = reader_cookie(reader.id, int(time.time()))
    if value:
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE,
            secure=settings.MASTHEAD_HTTPS,
            httponly=True,
            samesite="Lax",
        )


def is_bot(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "")
    return not agent or bool(BOT_AGENT.search(agent))
