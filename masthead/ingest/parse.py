"""Feed documents to entries: RSS 2.0, RSS 1.0, Atom (feedparser), JSON Feed and ninjs.

XML is checked with defusedxml before feedparser sees it, so entity declarations (the "billion
laughs" bomb and external entities) are refused instead of expanded.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree


class FeedError(Exception):
    """A document that is not a usable feed, with a message for the source's health view."""


@dataclass
class Entry:
    guid: str = ""
    url: str = ""
    title: str = ""
    summary: str = ""  # HTML
    content: str = ""  # HTML, when the feed carries the full text
    author: str = ""
    published: datetime | None = None
    categories: list[str] = field(default_factory=list)
    image: str = ""


def parse(body: bytes, fmt: str) -> list[Entry]:
    if not body.strip():
        raise FeedError("empty document")
    if fmt in ("jsonfeed", "ninjs"):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise FeedError(f"invalid JSON: {error}") from None
        return _json_feed(data) if fmt == "jsonfeed" else _ninjs(data)
    return _xml_feed(body)


_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding=[\"'])[^\"']+", re.IGNORECASE)


def _utf8(body: bytes) -> bytes:
    """Feeds that lie about their encoding (Latin-1 bytes declared UTF-8) read as Windows-1252."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body  # UTF-16 with a byte-order mark: the parser handles it
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    declared = _DECLARATION.match(body)
    if declared and not declared.group(0).lower().endswith((b"utf-8", b"utf8")):
        return body  # honestly declared as something else: the parser decodes it
    text = body.decode("cp1252", errors="replace")
    return _DECLARATION.sub(rb"\1utf-8", text.encode("utf-8"), count=1)


def _xml_feed(body: bytes) -> list[Entry]:
    body = _utf8(body)
    try:
        SafeElementTree.fromstring(body)
    except DefusedXmlException as error:
        raise FeedError(f"refused: the XML declares entities ({type(error).__name__})") from None
    except SafeElementTree.ParseError as error:
        raise FeedError(f"invalid XML: {error}") from None
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=True)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"not a feed: {parsed.get('bozo_exception', 'unknown error')}")
    if not parsed.get("version"):
        raise FeedError("not an RSS or Atom feed")
    return [_feedparser_entry(e) for e in parsed.entries]


def _feedparser_entry(e) -> Entry:
    content = ""
    for part in e.get("content", []):
        if "html" in part.get("type", "html"):
            content = part.get("value", "")
            break
    stamp = e.get("published_parsed") or e.get("updated_parsed")
    image = ""
    for media in e.get("media_content", []) + e.get("media_thumbnail", []):
        if media.get("url"):
            image = media["url"]
            break
    for link in e.get("links", []):
        if (
            not image
            and link.get("rel") == "enclosure"
            and link.get("type", "").startswith("image/")
        ):
            image = link.get("href", "")
    return Entry(
        guid=e.get("id", "") or "",
        url=e.get("link", "") or "",
        title=e.get("title", "") or "",
        summary=e.get("summary", "") or "",
        content=content,
        author=e.get("author", "") or "",
        published=datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC) if stamp else None,
        categories=[t.get("term", "") for t in e.get("tags", []) if t.get("term")],
        image=image,
    )


def _date(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_feed(data) -> list[Entry]:
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise FeedError("not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed without an items list")
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        out.append(
            Entry(
                guid=str(item.get("id", "")),
                url=str(item.get("url", "") or item.get("external_url", "")),
                title=str(item.get("title", "")),
                summary=str(item.get("summary", "")),
                content=str(item.get("content_html", "") or _paragraphs(item.get("content_text"))),
                author=", ".join(str(a.get("name", "")) for a in authors if isinstance(a, dict)),
                published=_date(item.get("date_published") or item.get("date_modified")),
                categories=[str(t) for t in item.get("tags", []) if isinstance(t, str)],
                image=str(item.get("image", "") or item.get("banner_image", "")),
            )
        )
    return out


def _paragraphs(text) -> str:
    from html import escape

    if not isinstance(text, str):
        return ""
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _ninjs(data) -> list[Entry]:
    """IPTC ninjs 1.x and 2.x: one item, a list of items, or {"items": [...]}."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if not isinstance(item, dict) or not (item.get("uri") or item.get("guid")):
            raise FeedError("not ninjs: an item has no uri")
        headline = item.get("headline") or _first(item.get("headlines"), "value")
        body = (
            item.get("body_html")
            or _first(
                [b for b in item.get("bodies") or [] if "html" in str(b.get("contenttype", ""))],
                "value",
            )
            or _paragraphs(item.get("body_text") or _first(item.get("bodies"), "value"))
        )
        description = (
            item.get("description_html")
            or item.get("description_text")
            or _first(item.get("descriptions"), "value")
        )
        byline = item.get("byline") or ", ".join(
            str(p.get("name", "")) for p in item.get("people") or [] if p.get("rel") == "author"
        )
        subjects = [
            str(s.get("name", "")) for s in item.get("subject") or [] if isinstance(s, dict)
        ]
        link = ""
        for candidate in item.get("links") or []:
            if isinstance(candidate, dict) and candidate.get("href"):
                link = candidate["href"]
                break
        out.append(
            Entry(
                guid=str(item.get("uri") or item.get("guid")),
                url=str(
                    link or (item.get("uri") if str(item.get("uri", "")).startswith("http") else "")
                ),
                title=str(headline or ""),
                summary=str(description or ""),
                content=str(body or ""),
                author=str(byline or ""),
                published=_date(item.get("firstcreated") or item.get("versioncreated")),
                categories=[s for s in subjects if s],
            )
        )
    return out


def _first(values, key: str):
    if isinstance(values, list):
        for v in values:
            if isinstance(v, dict) and v.get(key):
                return v[key]
    return None
