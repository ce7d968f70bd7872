"""Anonymous first-party reader identity: a random id in a signed cookie.

The id is signed so that a reader id the server did not issue is refused. A browser that sends
Global Privacy Control or Do-Not-Track is still counted in aggregate but has no history kept
and gets nothing personalized.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "mh_reader"
SALT = "masthead.reader"
MAX_AGE = 60 * 60 * 24 * 400  # browsers cap cookies at 400 days
BOT_AGENT = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|monitor|pingdom|"
    r"curl|wget|python-|httpx|go-http|java/|okhttp|libwww|scrapy|phantomjs|headless|lighthouse",
    re.IGNORECASE,
)


class ForgedReader(Exception):
    """The request carries a reader id that this server did not sign."""


@dataclass(frozen=True)
class Reader:
    id: str
    is_private: bool
    is_new: bool


def reader_for_request(request: HttpRequest) -> Reader:
    """The reader making `request`; a new id if it has none. Raises ForgedReader."""
    private = request.headers.get("Sec-GPC") == "1" or request.headers.get("DNT") == "1"
    raw = request.COOKIES.get(COOKIE)
    if raw is None:
        return Reader(id=secrets.token_hex(16), is_private=private, is_new=True)
    try:
        reader_id = signing.Signer(salt=SALT).unsign(raw)
    except signing.BadSignature as error:
        raise ForgedReader from error
    if not re.fullmatch(r"[0-9a-f]{32}", reader_id):
        raise ForgedReader
    return Reader(id=reader_id, is_private=private, is_new=False)


def reader_remember(response: HttpResponse, reader: Reader) -> None:
    """Set the reader cookie on `response` if the reader is new."""
    if reader.is_new:
        response.set_cookie(
            COOKIE,
            signing.Signer(salt=SALT).sign(reader.id),
            max_age=MAX_AGE,
            secure=settings.MASTHEAD_HTTPS,
            httponly=True,
            samesite="Lax",
        )


def is_bot(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "")
    return not agent or bool(BOT_AGENT.search(agent))


def client_ip(request: HttpRequest) -> str:
    if settings.MASTHEAD_BEHIND_PROXY:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
