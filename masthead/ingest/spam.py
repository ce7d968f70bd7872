"""Content-farm screening: each rule is a pattern seen in scraped junk, with a reason an editor
can read. An item that trips any rule is held for review, never published.

Measured on the labelled set in tests/ingest/spam_cases.py (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import html as lxml_html

from masthead.discovery.text import STOP_WORDS

# Wire and newsroom prefixes that legitimately lead a headline with "WORD-".
KNOWN_PREFIXES = {
    "update",
    "wrapup",
    "exclusive",
    "rpt",
    "corrected",
    "refile",
    "analysis",
    "breakingviews",
    "factbox",
    "instant",
    "view",
    "column",
    "preview",
    "timeline",
    "interview",
    "live",
    "watch",
    "anti",
    "co",
    "ex",
    "non",
    "pro",
    "post",
    "pre",
    "mid",
    "self",
    "multi",
    "cross",
    "semi",
    "re",
    "sub",
    "un",
    "well",
    "all",
    "half",
    "x",
    "e",
    "k",
    "u",
    "t",
}
NAV_LABELS = re.compile(
    r"^\s*(related|related articles|ranking|recommendation|recommended|most read|most popular|"
    r"read more|you may also like|more from|trending|popular|like|tags|share this|advertisement)"
    r"\s*[:.]?\s*$",
    re.IGNORECASE,
)
_TITLE_PREFIX = re.compile(r"^\s*([A-Z][A-Za-z]{2,})-([A-Z][A-Za-z]*)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# Function words a keyword gets glued to. Short ones (of, to, in, on, a) end too many real names.
_GLUE = ("the", "and", "for", "with", "was", "that", "from")

STUFFING_SHARE = 0.08  # one content word as this share of all words ...
STUFFING_MIN = 8  # ... at least this many times
LINK_SHARE = 0.5  # link text as a share of all text
NAV_BLOCKS = 2  # navigation headings scraped with the text


def screen(*, title: str, text: str, raw_html: str = "", known=None) -> str:
    """The reason to hold an item, or "" when it looks clean. `known(word)`: whether the site's
    vocabulary has the word (see `_glued_keyword`)."""
    for rule in (_navigation, _mostly_links, _injected_title, _stuffing):
        reason = rule(title, text, raw_html)
        if reason:
            return reason
    return _glued_keyword(title, text, raw_html, known)


def _injected_title(title: str, text: str, raw_html: str) -> str:
    match = _TITLE_PREFIX.match(title)
    if not match:
        return ""
    prefix, word = match.groups()
    if prefix.lower() in KNOWN_PREFIXES or prefix.isupper():
        return ""
    compound = f"{prefix}-{word}"
    # A real compound name (Coca-Cola, Rolls-Royce) is written the same way in the text.
    if compound.lower() in text.lower():
        return ""
    if prefix.lower() in {w.lower() for w in _WORD.findall(text)}:
        return ""  # the text uses the prefix as a word of its own: a name, not an injection
    return f"keyword injected in front of the title: {prefix!r}"


def _glued_keyword(title: str, text: str, raw_html: str, known=None) -> str:
    """'…and Rekubitthe Azerbaijan government…': a capitalised word glued to a function word.

    Held when the glued stem recurs, also leads the title, or (given `known(word)`, whether the
    site has seen a word) forms a word the site has never seen.
    """
    standalone = {w.lower() for w in _WORD.findall(text)}
    glued: Counter[str] = Counter()
    unknown: set[str] = set()
    for token in _WORD.findall(text):
        if not token[:1].isupper() or len(token) < 7:
            continue
        lower = token.lower()
        for word in _GLUE:
            stem = lower[: -len(word)]
            if not lower.endswith(word) or len(stem) < 4 or stem in standalone:
                continue
            if word == "and" and stem.endswith("l"):
                continue  # Finland, Auckland
            glued[stem] += 1
            if known is not None and not known(lower):
                unknown.add(stem)
            break
    for stem, count in glued.most_common():
        if count >= 2 or stem in title.lower() or stem in unknown:
            return f"keyword glued into the text: {stem!r}"
    return ""


def _stuffing(title: str, text: str, raw_html: str) -> str:
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 30:
        return ""
    content = [w for w in words if w not in STOP_WORDS and len(w) > 2]
    if not content:
        return ""
    word, count = Counter(content).most_common(1)[0]
    if count >= STUFFING_MIN and count / len(words) > STUFFING_SHARE:
        return f"keyword stuffing: {word!r} is {count} of {len(words)} words"
    return ""


def _navigation(title: str, text: str, raw_html: str) -> str:
    lines = [line for line in re.split(r"[\n\r]+|(?<=[.!?])\s+", text) if line.strip()]
    labels = [line.strip() for line in lines if NAV_LABELS.match(line)]
    root = _fragment(raw_html)
    if root is not None:
        labels += [
            el.text_content().strip()
            for el in root.iter(
                "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "p", "div", "span"
            )
            if NAV_LABELS.match(el.text_content() or "")
        ]
    if len(labels) >= NAV_BLOCKS:
        return "site navigation scraped with the text: " + ", ".join(sorted(set(labels))[:4])
    return ""


def _mostly_links(title: str, text: str, raw_html: str) -> str:
    root = _fragment(raw_html) if len(text) >= 80 else None
    if root is None:
        return ""
    total = len(" ".join(root.text_content().split()))
    linked = sum(len(" ".join(a.text_content().split())) for a in root.iter("a"))
    if total and linked / total > LINK_SHARE:
        return f"mostly links: {linked / total:.0%} of the text is link text"
    return ""


def _fragment(raw_html: str):
    """Parsed markup, or None for none or junk (then only the text is judged)."""
    if not raw_html:
        return None
    try:
        return lxml_html.fragment_fromstring(raw_html, create_parent="div")
    except (ValueError, lxml_html.etree.ParserError):
        return None
