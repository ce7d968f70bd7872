"""One item to named features, each with the evidence an editor can read.

Every signal is general, not a picture of one spam sample: how plausible the title's leading
token is as a word and whether the text uses it the same way; tokens that read as an unknown piece
fused onto a common word; the densest passage of one word in a sliding window; navigation labels
and list-like lines found whatever the markup (paragraphs, <br>, lists, newlines or one block);
and the share of link text.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from masthead.ingest.screening.lexicon import Lexicon, Split, words

# The title's leading token joined to the rest by a hyphen: "Rekubit-Talks have opened".
TITLE_PREFIX = re.compile(r"^\s*([^\W\d_]{3,})\s?[-–—]\s?([^\W\d_]*)")
NAV_LABELS = (
    "related articles",
    "related stories",
    "related",
    "ranking",
    "rankings",
    "recommendation",
    "recommendations",
    "recommended",
    "most read",
    "most popular",
    "popular",
    "trending",
    "tags",
    "like",
    "you may also like",
    "read more",
    "more from",
    "see also",
    "top stories",
    "latest news",
)
# Labels that also open ordinary sentences ("Like many banks, …"): counted after a full stop
# only when a colon follows.
SENTENCE_WORDS = {"like", "related", "popular", "trending", "recommended", "latest news"}
_LABEL = "|".join(re.escape(label) for label in sorted(NAV_LABELS, key=len, reverse=True))
_LABEL_LINE = re.compile(rf"^({_LABEL})\s*(?::|$|\s+(?=[\W\d]*(?-i:[A-Z0-9])))", re.IGNORECASE)
# Mid-sentence, after a lower-case word, a capitalised label followed by a capital or a digit.
# The same labels with a capital first letter, the rest in any case ("Most read", "MOST READ").
_CAPITAL_LABEL = "|".join(
    re.escape(label[0].upper()) + f"(?i:{re.escape(label[1:])})"
    for label in sorted(NAV_LABELS, key=len, reverse=True)
)
# Mid-sentence (after a word, not a full stop), a capitalised label followed by a capital or a
# digit: lists run together into one block ("…in London Popular Lagos board…").
_LABEL_INLINE = re.compile(rf"(?<=[\w,] )({_CAPITAL_LABEL})(?=:|\s+\W*[A-Z0-9])")
_LABEL_COLON = re.compile(rf"(?:^|(?<=[.!?] ))({_CAPITAL_LABEL}):", re.MULTILINE)
# A label alone as a sentence: "Gold price today. Related. Ranking. Most read."
_LABEL_SENTENCE = re.compile(
    rf"(?:^|(?<=[.!?] ))({_CAPITAL_LABEL})[.:]?(?=\s+(?:{_CAPITAL_LABEL})\b|$)", re.MULTILINE
)
_LABEL_AFTER_STOP = re.compile(
    rf"(?:^|(?<=[.!?] ))({_CAPITAL_LABEL})(?=\s+\W*[A-Z0-9])", re.MULTILINE
)
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td",
    "table", "section", "article", "aside", "nav", "header", "footer", "blockquote", "dd",
    "dt", "pre", "figcaption",
}  # fmt: skip
WINDOW = 40  # words in the sliding window for keyword density
MIN_REPEATS = 5  # "Blah blah blah." is a placeholder, not stuffing
COMMON_ZIPF = 5.8  # "the", "said", "with": never a stuffed keyword


@dataclass
class Signals:
    """Feature values by name, and the evidence (keyword, labels) behind each group."""

    values: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)


def lines_of(text: str, raw_html: str = "") -> list[str]:
    """The item's text as lines, whatever the markup: blocks, <br>, list items, newlines."""
    source = raw_html or text
    if "<" in source:
        try:
            root = lxml_html.fragment_fromstring(source, create_parent="div")
        except (ValueError, etree.ParserError):
            root = None
        if root is not None:
            for bad in root.xpath("//script|//style"):
                bad.drop_tree()
            for el in root.iter():
                if isinstance(el.tag, str) and el.tag in _BLOCK_TAGS:
                    el.tail = "\n" + (el.tail or "")
                    el.text = "\n" + (el.text or "")
            source = root.text_content()
    else:
        source = html.unescape(source)
    return [" ".join(line.split()) for line in source.splitlines() if line.strip()]


def extract(*, title: str, text: str, raw_html: str = "", lexicon: Lexicon) -> Signals:
    lines = lines_of(text, raw_html)
    if not text:
        text = " ".join(lines)
    tokens = words(text)
    out = Signals()
    out.values["length"] = math.log1p(len(tokens)) / 8
    _title(out, title, text, tokens, lexicon)
    _glued(out, title, tokens, lexicon)
    _stuffing(out, title, text, tokens, lexicon)
    _navigation(out, lines)
    _links(out, raw_html, text)
    _together(out.values)
    return out


def _together(v: dict[str, float]) -> None:
    """Each pattern is several signals at once; a product lets a linear model require all."""
    v["title_unknown_absent"] = v["title_prefix_unknown"] * v["title_compound_absent"]
    v["glued_strong"] = (
        v["glued_case_break"]
        * v["glued_boundary_rare"]
        * (1 - v["glued_after_capital"])
        * (1 - 0.5 * v["glued_token_repeats"])
    )
    v["glued_echoed"] = v["glued_piece_unknown"] * max(
        v["glued_piece_in_title"], v["glued_piece_repeats"], v["title_prefix_glued"]
    )
    v["stuffing_prose"] = v["stuffing_window_share"] * (1 - v["stuffing_near_numbers"])
    v["nav_lists"] = v["nav_labels"] * v["nav_short_lines"]


def _title(out: Signals, title: str, text: str, tokens: list[str], lexicon: Lexicon) -> None:
    match = TITLE_PREFIX.match(title)
    names = ("title_prefix_unknown", "title_prefix_rare", "title_compound_absent",
             "title_prefix_glued")  # fmt: skip
    for name in names:
        out.values[name] = 0.0
    if not match or match.group(1).isupper() and lexicon.is_known(match.group(1)):
        return
    prefix, following = match.groups()
    lower_text = text.lower()
    out.values["title_prefix_unknown"] = float(not lexicon.is_known(prefix))
    out.values["title_prefix_rare"] = max(0.0, 4.0 - lexicon.zipf(prefix)) / 4
    compound = f"{prefix}-{following}".lower()
    out.values["title_compound_absent"] = float(
        compound not in lower_text and compound.replace("-", " ") not in lower_text
    )
    low = prefix.lower()
    out.values["title_prefix_glued"] = float(
        any(
            t.lower() != low and (t.lower().startswith(low) or t.lower().endswith(low))
            for t in tokens
        )
    )
    out.evidence["title"] = prefix


def _glued(out: Signals, title: str, tokens: list[str], lexicon: Lexicon) -> None:
    title_words = {w.lower() for w in words(title)}
    title_lower = title.lower()
    tokens = [t for t in tokens if "'" not in t and "’" not in t]  # possessives: "Deutsche's"
    exact = Counter(tokens)
    after_capital: set[str] = set()
    for before, token in zip(tokens, tokens[1:], strict=False):
        if before[:1].isupper() and len(before) > 1:
            after_capital.add(token)
    splits: list[Split] = []
    for token in exact:
        split = lexicon.split(token)
        if split is not None:
            splits.append(split)
    pieces = Counter(s.piece.lower() for s in splits)
    standalone = Counter(t.lower() for t in tokens)
    best: tuple[float, Split, dict[str, float]] | None = None
    for split in splits:
        piece = split.piece.lower()
        features = {
            "glued_word_common": min(lexicon.zipf(split.word), 7.5) / 7.5,
            "glued_boundary_rare": lexicon.boundary_rarity(split),
            "glued_piece_unknown": float(not lexicon.is_known(piece)),
            "glued_piece_in_title": float(piece in title_words or title_lower.startswith(piece)),
            "glued_piece_repeats": float(pieces[piece] + standalone[piece] >= 2),
            "glued_token_repeats": float(exact[split.token] >= 2),
            "glued_case_break": float(_case_break(split)),
            "glued_shape_break": float(_shape_break(split)),
            # "Maria Kristersson": a first name or title before it makes it a name.
            "glued_after_capital": float(split.token in after_capital),
        }
        # A function word of three letters or more ("the", "and", "from": Zipf 6 and over)
        # fused behind an unknown piece; two-letter ones ("-on", "-to", "-he") end too many names.
        features["glued_function_fused"] = float(
            lexicon.zipf(split.word) >= 6.0
            and len(split.word) >= 3
            and features["glued_boundary_rare"] >= 0.2
            and features["glued_case_break"] == 1
            and features["glued_piece_unknown"] == 1
            and not features["glued_after_capital"]
            and not features["glued_token_repeats"]
        )
        score = (
            sum(features.values())
            + 2 * features["glued_shape_break"]
            - 3 * features["glued_token_repeats"]
            - 3 * features["glued_after_capital"]
        )
        if best is None or score > best[0]:
            best = (score, split, features)
    keyword, supports = _fused_keyword(tokens + words(title), lexicon)
    out.values["glued_keyword_repeats"] = float(bool(keyword))
    out.values["glued_keyword_supports"] = min(supports, 4) / 4
    out.values["glued_count"] = math.log1p(len(splits)) / 3
    names = ("glued_word_common", "glued_boundary_rare", "glued_piece_unknown", "glued_piece_in_title",
             "glued_piece_repeats", "glued_token_repeats", "glued_case_break",
             "glued_after_capital", "glued_shape_break", "glued_function_fused")  # fmt: skip
    for name in names:
        out.values[name] = best[2][name] if best else 0.0
    if keyword:
        out.evidence["glued"] = keyword
    elif best:
        out.evidence["glued"] = f"{best[1].piece} in {best[1].token}"


def _fused_keyword(tokens: list[str], lexicon: Lexicon) -> tuple[str, int]:
    """A made-up piece that leads two or more different words (case aside), at least one of them
    an unknown token that is the piece fused to a common word ("Rekubit", "Rekubitthe",
    "Rekubitand"); and in how many different words it appears."""
    spelled: dict[str, str] = {}
    for token in tokens:
        if len(token) >= 4 and "'" not in token and "’" not in token:
            spelled.setdefault(token.lower(), token)
    fused: dict[str, set[str]] = {}
    for lower in spelled:
        if len(lower) < 6 or lexicon.is_known(lower):
            continue
        for cut in range(4, len(lower) - 1):
            if lexicon.zipf(lower[cut:]) >= 3.5:
                fused.setdefault(lower[:cut], set()).add(lower)
    best, count = "", 0
    for piece, fused_words in fused.items():
        if lexicon.zipf(piece) >= 3.0:
            continue  # "Easy" in "EasyJet": a word of its own, not a made-up keyword
        total = len(fused_words | ({piece} if piece in spelled else set()))
        if total >= 2 and (total > count or total == count and len(piece) > len(best)):
            best, count = spelled[min(fused_words)][: len(piece)], total
    return best, count


def _shape_break(split: Split) -> bool:
    """'NIMAXsaid', 'KeyWordthe': a piece in capitals or CamelCase fused to a lower-case word."""
    piece = split.piece
    word_part = split.token.replace(piece, "", 1)
    shaped = (piece.isupper() and len(piece) >= 3) or any(c.isupper() for c in piece[1:])
    return shaped and word_part.islower()


def _case_break(split: Split) -> bool:
    """'Rekubitthe' or 'theRekubit': a capitalised piece against a lower-case word."""
    if split.piece_first:
        return split.piece[:1].isupper() and split.token[len(split.piece) :].islower()
    word_part = split.token[: len(split.token) - len(split.piece)]
    return word_part.islower() and split.piece[:1].isupper()


def _near_numbers(text: str, word: str) -> float:
    """The share of the word's uses next to a number: a results table ("12 cts vs 10 cts")
    repeats its units; stuffing drops the keyword into prose."""
    if not word:
        return 0.0
    raw = text.lower().split()
    places = [i for i, t in enumerate(raw) if t.strip(".,;:()") == word]
    if not places:
        return 0.0
    numeric = sum(
        1
        for i in places
        if any(any(c.isdigit() for c in raw[k]) for k in (i - 1, i + 1) if 0 <= k < len(raw))
    )
    return numeric / len(places)


def _stuffing(out: Signals, title: str, text: str, tokens: list[str], lexicon: Lexicon) -> None:
    lower = [t.lower() for t in tokens]
    content = [w if len(w) > 2 and lexicon.zipf(w) < COMMON_ZIPF else "" for w in lower]
    best_word, best_count = "", 0
    window: Counter[str] = Counter()
    for i, word in enumerate(content):
        if word:
            window[word] += 1
            if window[word] > best_count:
                best_word, best_count = word, window[word]
        if i >= WINDOW and content[i - WINDOW]:
            window[content[i - WINDOW]] -= 1
    size = max(min(len(content), WINDOW), 20)
    adjacent = sum(
        1 for i in range(2, len(lower)) if lower[i] == best_word and best_word in lower[i - 3 : i]
    )
    out.values["stuffing_window_share"] = best_count / size if best_count >= MIN_REPEATS else 0.0
    out.values["stuffing_total_share"] = (
        lower.count(best_word) / max(len(lower), 20) if best_word else 0.0
    )
    out.values["stuffing_adjacent"] = adjacent / max(best_count, 1)
    out.values["stuffing_near_numbers"] = _near_numbers(text, best_word)
    out.values["stuffing_in_title"] = float(best_word in {w.lower() for w in words(title)})
    if best_word:
        out.evidence["stuffing"] = f"{best_word} ({best_count} of {size} words in one passage)"


def _navigation(out: Signals, lines: list[str]) -> None:
    labels: set[str] = set()
    label_lines = 0
    for line in lines:
        match = _LABEL_LINE.match(line)
        if match and (len(line.split()) <= 12 or ":" in line[: len(match.group(1)) + 2]):
            labels.add(match.group(1).lower())
            label_lines += 1
    joined = "\n".join(lines)
    for match in _LABEL_INLINE.finditer(joined):
        labels.add(match.group(1).lower())
    for match in _LABEL_COLON.finditer(joined):
        labels.add(match.group(1).lower())
    for match in _LABEL_SENTENCE.finditer(joined):
        labels.add(match.group(1).lower())
    for match in _LABEL_AFTER_STOP.finditer(joined):
        if match.group(1).lower() not in SENTENCE_WORDS:
            labels.add(match.group(1).lower())
    short = [
        ln
        for ln in lines
        if len(ln.split()) <= 10 and not ln.rstrip().endswith((".", "!", "?", '"', "”"))
    ]
    out.values["nav_labels"] = min(len(labels), 5) / 5
    out.values["nav_label_lines"] = min(label_lines, 5) / 5
    out.values["nav_short_lines"] = (
        (len(short) / len(lines)) * min(len(short), 6) / 6 if lines else 0.0
    )
    if labels:
        out.evidence["navigation"] = ", ".join(sorted(label.capitalize() for label in labels))


def _links(out: Signals, raw_html: str, text: str) -> None:
    out.values["link_share"] = 0.0
    out.values["link_count"] = 0.0
    if "<a" not in raw_html:
        return
    try:
        root = lxml_html.fragment_fromstring(raw_html, create_parent="div")
    except (ValueError, etree.ParserError):
        return
    total = len(" ".join(root.text_content().split()))
    anchors = list(root.iter("a"))
    linked = sum(len(" ".join(a.text_content().split())) for a in anchors)
    if total:
        out.values["link_share"] = linked / total
        out.values["link_count"] = min(math.log1p(len(anchors)) / 4, 1.0)
        out.evidence["links"] = f"{linked / total:.0%} of the text is link text"


FEATURES = (
    "length",
    "title_prefix_unknown",
    "title_prefix_rare",
    "title_compound_absent",
    "title_prefix_glued",
    "glued_count",
    "glued_keyword_repeats",
    "glued_keyword_supports",
    "glued_word_common",
    "glued_boundary_rare",
    "glued_piece_unknown",
    "glued_piece_in_title",
    "glued_piece_repeats",
    "glued_token_repeats",
    "glued_case_break",
    "glued_after_capital",
    "glued_shape_break",
    "stuffing_window_share",
    "stuffing_total_share",
    "stuffing_adjacent",
    "stuffing_in_title",
    "stuffing_near_numbers",
    "nav_labels",
    "nav_label_lines",
    "nav_short_lines",
    "link_share",
    "link_count",
    "title_unknown_absent",
    "glued_strong",
    "glued_echoed",
    "glued_function_fused",
    "stuffing_prose",
    "nav_lists",
)
GROUPS = {
    "title": "title_",
    "glued": "glued_",
    "stuffing": "stuffing_",
    "navigation": "nav_",
    "links": "link_",
}
