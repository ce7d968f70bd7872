"""Item HTML made safe and shaped to what an article body holds; plain text; URL keys."""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
from lxml import html as lxml_html

# Exactly what ArticleBodyBlock renders: paragraphs with bold, italic, links, lists, super/sub,
# headings and quotes. Everything else (scripts, styles, images, iframes, forms, event handlers,
# style attributes) goes; images would be tracking pixels more often than lead images.
BODY_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "b",
    "strong",
    "i",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "sup",
    "sub",
    "br",
}
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|yclid|igshid|ocid|cmpid|"
    r"ncid|rss|feed|ref|src|sr_share|smid|smtyp)$",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
# Elements that end a run of text: their tail starts a new sentence or paragraph.
BLOCK_BREAKS = (
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "td",
)


def sanitize(raw: str) -> str:
    """Allowed tags only; links keep an http(s)/mailto href and get rel=nofollow noopener."""
    return nh3.clean(
        raw,
        tags=BODY_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
        strip_comments=True,
    ).strip()


def body_blocks(clean: str) -> list[tuple[str, object]]:
    """StreamField blocks from sanitized HTML: headings, quotes and paragraphs."""
    if not clean:
        return []
    blocks: list[tuple[str, object]] = []
    loose: list[str] = []
    root = lxml_html.fragment_fromstring(clean, create_parent="div")

    def flush_loose():
        text = "".join(loose).strip()
        if text:
            blocks.append(("paragraph", f"<p>{text}</p>"))
        loose.clear()

    if root.text and root.text.strip():
        loose.append(html.escape(root.text))
    for child in root:
        tail = child.tail
        child.tail = None
        tag = child.tag
        if tag in ("h2", "h3", "h4"):
            flush_loose()
            text = _SPACE.sub(" ", child.text_content()).strip()
            if text:
                blocks.append(("heading", {"text": text[:255], "level": tag}))
        elif tag == "blockquote":
            flush_loose()
            text = _SPACE.sub(" ", child.text_content()).strip()
            if text:
                blocks.append(("quote", {"text": text, "attribution": ""}))
        elif tag in ("p", "ul", "ol"):
            flush_loose()
            markup = _rich(lxml_html.tostring(child, encoding="unicode"))
            if _SPACE.sub("", child.text_content()):
                blocks.append(("paragraph", markup))
        else:
            loose.append(_rich(lxml_html.tostring(child, encoding="unicode")))
        if tail and tail.strip():
            loose.append(html.escape(tail))
    flush_loose()
    return blocks


def _rich(markup: str) -> str:
    """Wagtail's rich-text storage spells bold and italic <b> and <i>."""
    for tag, new in (("strong", "b"), ("em", "i")):
        markup = markup.replace(f"<{tag}>", f"<{new}>").replace(f"</{tag}>", f"</{new}>")
    return markup


def text_of(markup: str) -> str:
    if not markup:
        return ""
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # noqa: BLE001 - lxml raises several types for junk
        return _SPACE.sub(" ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for el in root.iter(*BLOCK_BREAKS):
        el.tail = " " + (el.tail or "")  # "…a cut.</p><p>Policymakers…" keeps its space
    return _SPACE.sub(" ", root.text_content()).strip()


def url_normalize(url: str) -> str:
    """The same article whatever tracking parameters, fragment or host case it was linked with."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMS.match(k)
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def digest(value: str) -> str:
    """A key, not a secret: SHA-1 is fine for telling items apart."""
    return hashlib.sha1(value.encode("utf-8"), usedforsecurity=False).hexdigest()


def content_hash(text: str) -> str:
    """Equal for texts that differ only in case, spacing and punctuation."""
    words = re.findall(r"\w+", text.lower())
    return digest(" ".join(words)) if words else ""
