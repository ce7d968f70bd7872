"""The summary (dek) under an ingested headline, and a body that repeats neither it nor the
headline.

A summary is whole sentences within a length limit: the feed's own summary when it gives one
beside the full text, else the lead sentences of the body, which then leave the body. A first
body block that only repeats the headline (an extractor keeping the page's <h1>) is dropped.
"""

from __future__ import annotations

import html
import re

from lxml import html as lxml_html

DEK_LENGTH = 300
_SPACE = re.compile(r"\s+")
# A sentence ends at . ! ? (and a closing quote or bracket) before a space and a capital, digit
# or opening quote; not after initials or common abbreviations ("U.S. officials", "Mr. Lee").
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|St|Mt|No|Inc|Corp|Ltd|Co|Jr|Sr|Gen|Gov|Sen|Rep|Prof|vs|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec)\.)$"
)
_WORDS = re.compile(r"\w+")


def sentences(text: str) -> list[str]:
    text = _SPACE.sub(" ", text).strip()
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start() + len(match.group(0).rstrip())].strip()
        if _ABBREVIATION.search(text[start : match.start()]):
            continue
        out.append(candidate)
        start = match.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def lead(text: str, limit: int = DEK_LENGTH) -> str:
    """Whole sentences from the start of `text` within `limit` characters; a first sentence
    longer than the limit is cut at a word boundary and marked with an ellipsis."""
    chosen: list[str] = []
    length = 0
    for sentence in sentences(text):
        extra = len(sentence) + (1 if chosen else 0)
        if length + extra > limit:
            break
        chosen.append(sentence)
        length += extra
    if chosen:
        return " ".join(chosen)
    first = _SPACE.sub(" ", text).strip()
    if not first:
        return ""
    return first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _key(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


_BLOCK_TAGS = {"p", "h2", "h3", "h4", "blockquote", "ul", "ol"}


def _blocks(body_html: str) -> list[lxml_html.HtmlElement]:
    """Top-level blocks; loose text and inline runs between them become paragraphs."""
    if not body_html.strip():
        return []
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    blocks: list[lxml_html.HtmlElement] = []
    loose: list[str] = [html.escape(root.text or "")]

    def flush() -> None:
        markup = "".join(loose).strip()
        if markup:
            blocks.append(lxml_html.fragment_fromstring(f"<p>{markup}</p>"))
        loose.clear()

    for child in root:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _BLOCK_TAGS:
            flush()
            tail, child.tail = child.tail, None
            blocks.append(child)
            loose.append(html.escape(tail or ""))
        else:
            loose.append(lxml_html.tostring(child, encoding="unicode"))
    flush()
    return blocks


def _text(el: lxml_html.HtmlElement) -> str:
    return _SPACE.sub(" ", el.text_content()).strip()


def dek_and_body(
    *, title: str, summary_html: str, body_html: str, limit: int = DEK_LENGTH
) -> tuple[str, str]:
    """(dek, body HTML): `body_html` sanitized, `summary_html` the feed's separate summary or ""."""
    from masthead.ingest.clean import text_of

    blocks = _blocks(body_html)
    while blocks and _key(_text(blocks[0])) == _key(title):
        blocks.pop(0)  # the headline again, as the first paragraph
    source = text_of(summary_html) if summary_html else ""
    if not source and blocks:
        source = _text(blocks[0])
        if len(blocks) == 1:  # the body keeps at least its last sentence
            source = " ".join(sentences(source)[:-1])
    dek = lead(source, limit) if source else ""
    if dek and blocks:
        blocks = _without_dek(blocks, dek)
    body = "".join(lxml_html.tostring(b, encoding="unicode") for b in blocks)
    return dek, body


def _without_dek(blocks: list[lxml_html.HtmlElement], dek: str) -> list[lxml_html.HtmlElement]:
    """The body less what the dek already says at its start: whole blocks, then whole
    sentences of the next block (a dek cut mid-sentence takes nothing away)."""
    if dek.endswith("…"):
        return blocks
    remaining = _key(dek)
    blocks = list(blocks)
    while blocks and remaining:
        first = _text(blocks[0])
        key = _key(first)
        if key and remaining.startswith(key):
            remaining = remaining[len(key) :].strip()
            blocks.pop(0)
            continue
        said: list[str] = []
        for sentence in sentences(first):
            said.append(sentence)
            if _key(" ".join(said)) == remaining:
                rest = (
                    first[len(" ".join(said)) :].strip() if first.startswith(" ".join(said)) else ""
                )
                rest = rest or " ".join(sentences(first)[len(said) :])
                paragraph = lxml_html.fragment_fromstring(f"<p>{html.escape(rest)}</p>")
                return [paragraph, *blocks[1:]] if rest else blocks[1:]
        break
    return blocks
