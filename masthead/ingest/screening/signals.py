"""One item to named features, each with the evidence an editor can read.

Every signal is general, not a picture of one spam sample: how plausible the title's leading
token is as a word and whether the text uses it the same way; tokens that read as an unknown piece
(or a common word capitalised as no name is) fused onto a common word, and where they stand; the
densest passage of one word in a sliding window and whether its uses keep a sentence's grammar;
navigation labels
and list-like lines found whatever the markup (paragraphs, <br>, lists, newlines or one block);
and the share of link text.
"""

from __future__ import annotations

import html
import itertools
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
_TOKEN = re.compile(r"([^\W\d_]+)(?:['’][^\W\d_]+)*|\d[\d.,/]*")  # words and numbers
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td",
    "table", "section", "article", "aside", "nav", "header", "footer", "blockquote", "dd",
    "dt", "pre", "figcaption",
}  # fmt: skip
WINDOW = 40  # words in the sliding window for keyword density
TYPO_CHECKS = 3  # fused-token candidates checked for being a typo of a word
SHORT_WINDOW = 15  # and in a short one, for a keyword dropped in a few times close together
MIN_REPEATS = 5  # "Blah blah blah." is a placeholder, not stuffing
MIN_SHORT_REPEATS = 4
COMMON_ZIPF = 5.8  # "the", "said", "with": never a stuffed keyword
# A word of the language, not a fragment wordfreq happens to list ("chal", "aym"): "casino" 4.2,
# "forex" 3.6, "toto" 3.2.
COMMON_PIECE_ZIPF = 3.0


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
    _glued(out, title, tokens, lines, lexicon)
    _stuffing(out, title, text, lexicon)
    _navigation(out, lines)
    _links(out, raw_html, text)
    _together(out.values)
    return out


def _together(v: dict[str, float]) -> None:
    """Each pattern is several signals at once; a product lets a linear model require all."""
    v["title_unknown_absent"] = v["title_prefix_unknown"] * v["title_compound_absent"]
    not_name = (1 - v["glued_name_like"]) * (1 - v["glued_token_in_title"])
    v["glued_strong"] = v["glued_case_break"] * v["glued_boundary_rare"] * not_name
    v["glued_echoed"] = (
        max(v["glued_piece_unknown"], v["glued_case_break"])
        * max(v["glued_forms"], v["glued_piece_alone"], v["glued_piece_in_title"],
              v["title_prefix_glued"], v["glued_piece_doubled"])
        * not_name
    )  # fmt: skip
    # The same piece fused onto several words, capitalised against them: a keyword even when
    # the piece is a word of the language ("Forexthat", "Forexapprove").
    v["glued_repeated"] = v["glued_forms"] * v["glued_case_break"] * not_name
    # A common word capitalised as no name is, inside a sentence, at a boundary few words have.
    v["glued_common_strong"] = v["glued_common_capital"] * v["glued_boundary_rare"]
    v["glued_function_strong"] = v["glued_function_fused"] * v["glued_piece_unknown"] * not_name
    v["stuffing_prose"] = v["stuffing_window_share"] * (1 - v["stuffing_capitalised"])
    v["stuffing_dense"] = v["stuffing_short_share"] * max(
        float(v["stuffing_window_share"] > 0), v["stuffing_doubled"]
    )
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
    # The prefix fused onto a word of the text ("Rekubitthe"); "Indian" beside "India-" is a
    # word of its own.
    out.values["title_prefix_glued"] = float(
        any(
            t.lower() != low
            and (t.lower().startswith(low) or t.lower().endswith(low))
            and not lexicon.is_known(t)
            for t in tokens
        )
    )
    out.evidence["title"] = prefix


@dataclass
class _Piece:
    """One candidate keyword and the fused tokens it leads or ends."""

    spelled: str
    splits: list[Split] = field(default_factory=list)


def _positions(lines: list[str]) -> tuple[set[str], set[str], set[str]]:
    """Tokens that open a sentence (or a line); capitalised words inside a sentence that
    read as names: written so elsewhere too (lower case: "said Smith"), or after a
    preposition of place ("in Mumbaithat", as written); and the words of sentences of at most
    three words ("Casino online.", a keyword's own line)."""
    openers: set[str] = set()
    named: set[str] = set()
    before = ""
    for line in lines:
        for match in _WORD_AT.finditer(line):
            token = match.group(2)
            if match.group(1) is not None:
                openers.add(token)
            elif token[:1].isupper():
                named.add(token.lower())
                if before in PLACE_PREPOSITIONS:
                    named.add(token)
            before = token
    short = {
        w for line in lines for part in _SENTENCE_END.split(line) if len(ws := words(part)) <= 3
        for w in ws
    }  # fmt: skip
    return openers, named, short


PLACE_PREPOSITIONS = {"in", "at", "from", "near"}
_BEFORE_CAPITAL = re.compile(r"([^\W\d_]+) +(?=[^\W\d_a-z])")


# A word, and before it (group 1) the start of a line or a sentence's end when it opens one.
_WORD_AT = re.compile(r"""(^['"“‘(]*|(?<=[.!?:])['"”’)]*\s+['"“‘(]*)?([^\W\d_]+)""")


def _glued(out: Signals, title: str, tokens: list[str], lines: list[str], lexicon: Lexicon) -> None:
    title_words = {w.lower() for w in words(title)}
    tokens = [t for t in tokens if "'" not in t and "’" not in t]  # possessives: "Deutsche's"
    exact = Counter(tokens)
    standalone = Counter(t.lower() for t in tokens)
    local = {w for w in standalone if len(w) >= 4} | title_words
    # After a capitalised word other than a sentence's "The", "In", "A": "Marc Vienot".
    after_capital = {
        token
        for before, token in zip(tokens, tokens[1:], strict=False)
        if before[:1].isupper() and lexicon.zipf(before) < COMMON_ZIPF
    }
    # Followed by a capitalised word in the same sentence (only a space between).
    before_capital = {match.group(1) for line in lines for match in _BEFORE_CAPITAL.finditer(line)}
    pieces: dict[str, _Piece] = {}
    for token in exact:
        split = lexicon.split(token, local)
        if split is not None:
            pieces.setdefault(split.piece.lower(), _Piece(split.piece)).splits.append(split)
    openers, named, short = _positions(lines)
    context = _Context(
        exact, standalone, title_words, title.lower(), after_capital, before_capital, openers,
        named, short,
    )  # fmt: skip
    scored = [
        (_piece_features(found, piece, context, lexicon), piece) for piece, found in pieces.items()
    ]
    scored.sort(key=lambda c: -_candidate_score(c[0]))
    # A typo of a word ("Nonethless", "AztraZeneca") is no fusion at all: the next candidate is
    # weighed instead. Checked for the strongest few only (a few hundred look-ups a token).
    typos = 0
    chosen: dict[str, float] = {}
    for features, piece in scored[:TYPO_CHECKS]:
        if all(lexicon.near_word(s.token) for s in pieces[piece].splits):
            typos += 1
            continue
        chosen = features
        out.evidence["glued"] = pieces[piece].spelled
        break
    out.values["glued_count"] = math.log1p(sum(len(p.splits) for p in pieces.values())) / 3
    out.values["glued_typos"] = float(typos > 0)
    for name in GLUED_FEATURES:
        out.values[name] = chosen.get(name, 0.0)
    # One fused token with no other sign (the piece used nowhere else, no function word fused
    # on) is how brands and names look: "Retrofone", "VMEbus", "McIngvale". Its shape counts
    # only with support.
    # A keyword also written as a sentence of its own ("Mesuzen news.") at the edge of an unknown
    # token, whatever the rest is: a typo ("Mesuzencirtics"), a name, another fusion.
    echo, leads = _echo_fused(exact, context, lexicon)
    out.values["glued_echo_fused"] = float(bool(echo))
    # A token that starts with the same piece twice ("RefureRefureBramitorre").
    stutter = _stutter(exact, lexicon)
    out.values["glued_stutter"] = float(bool(stutter))
    # The echoed word names the keyword when it leads its token; at the end ("…Wilson", beside
    # "Wilson said.") it may be a name the keyword was glued onto, and the segmentation's piece
    # is kept.
    if stutter or echo and (leads or "glued" not in out.evidence):
        out.evidence["glued"] = stutter or echo
    supported = any(out.values[name] for name in GLUED_SUPPORT) or bool(echo or stutter)
    for name in ("glued_case_break", "glued_boundary_rare", "glued_shape_break"):
        out.values[name] *= supported


MIN_ECHO = 4  # letters of a keyword written on its own and found fused
ECHO_ZIPF = 5.0  # "Bonus" 4.6, "Poker" 3.9; not "Today", "Officials"


def _echo_fused(exact: Counter[str], context: _Context, lexicon: Lexicon) -> tuple[str, bool]:
    """A capitalised word of a sentence of at most three words ("Mesuzen news."), never written
    in lower case nor as a name inside a sentence, that starts or ends an unknown token at
    least three letters longer: the keyword, written on its own and glued on; and whether it
    leads that token."""
    candidates = [
        w
        for w in context.short
        if len(w) >= MIN_ECHO
        and w[:1].isupper()
        and not w.isupper()
        and w in exact
        and lexicon.zipf(w) < ECHO_ZIPF
        and context.exact[w.lower()] == 0
        and w.lower() not in context.named
        and not lexicon.is_place_or_calendar_name(w)
    ]
    found = ("", False)
    for word in sorted(candidates):
        low = word.lower()
        for token in exact:
            lower = token.lower()
            if (
                len(lower) >= len(low) + 3
                and (lower.startswith(low) or lower.endswith(low))
                and not lexicon.is_known(token)
            ):
                if lower.startswith(low):
                    return word, True
                found = found[0] and found or (word, False)
    return found


def _stutter(exact: Counter[str], lexicon: Lexicon) -> str:
    """The piece of an unknown token that starts with it twice ("RefureRefure…")."""
    for token in exact:
        lower = token.lower()
        for k in range(4, len(lower) // 2 + 1):
            if lower[:k] == lower[k : 2 * k] and not lexicon.is_known(token):
                return token[:k]
    return ""


GLUED_FEATURES = (
    "glued_forms", "glued_piece_alone", "glued_piece_in_title", "glued_piece_unknown",
    "glued_word_common", "glued_boundary_rare", "glued_case_break", "glued_shape_break",
    "glued_function_fused", "glued_token_repeats", "glued_name_like",
    "glued_token_in_title", "glued_piece_doubled", "glued_piece_first", "glued_at_start",
    "glued_piece_named", "glued_common_capital", "glued_word_opens", "glued_word_echoed",
    "glued_before_name", "glued_word_used",
)  # fmt: skip


def _forms(piece: str, leads: bool, context: _Context, lexicon: Lexicon) -> int:
    """How many different unknown tokens the piece leads (or ends): "Nedaion", "Nedaimln",
    "Nedaivs" share "Nedai" even where the rest is no common word."""
    return sum(
        1
        for token in context.standalone
        if len(token) > len(piece)
        and (token.startswith(piece) if leads else token.endswith(piece))
        and not lexicon.is_known(token)
    )


def _candidate_score(f: dict[str, float]) -> float:
    """Which fused piece of an item to weigh: the one used most like a keyword (fused to several
    words, also alone or in the title, fused to a function word) and least like a name."""
    return (
        2 * f["glued_forms"]
        + f["glued_piece_alone"]
        + f["glued_piece_in_title"]
        + 2 * f["glued_function_fused"]
        + f["glued_case_break"]
        + f["glued_boundary_rare"]
        + 2 * f["glued_piece_unknown"]
        + f["glued_piece_doubled"]
        + f["glued_common_capital"]
        + f["glued_word_opens"]
        + 2 * f["glued_word_echoed"]
        + f["glued_before_name"]
        + f["glued_word_used"]
        - 3 * f["glued_name_like"]
        - 2 * f["glued_piece_named"]
        - f["glued_token_repeats"]
        - 2 * f["glued_token_in_title"]
    )


GLUED_SUPPORT = ("glued_forms", "glued_piece_alone", "glued_piece_in_title",
                 "glued_function_fused", "glued_piece_doubled", "glued_common_capital",
                 "glued_word_opens", "glued_at_start", "glued_word_echoed",
                 "glued_before_name", "glued_word_used")  # fmt: skip


@dataclass(frozen=True)
class _Context:
    exact: Counter[str]  # tokens as written
    standalone: Counter[str]  # tokens in lower case
    title_words: set[str]
    title: str  # lower case
    after_capital: set[str]  # tokens that follow a capitalised word
    before_capital: set[str]  # tokens followed by a capitalised word
    openers: set[str]  # tokens that open a sentence or a line
    named: set[str]  # words (lower case) written capitalised inside a sentence
    short: set[str]  # words of sentences of at most three words


def _piece_features(
    found: _Piece, piece: str, context: _Context, lexicon: Lexicon
) -> dict[str, float]:
    """What speaks for one piece being a keyword glued on: the different words it is fused to,
    uses on its own and in the title, a capitalised piece against a lower-case word, a boundary
    few real words have; and against: a name's shape and context."""
    splits = found.splits
    function = [lexicon.zipf(s.word) >= 6.0 and len(s.word) >= 3 and _case_break(s) for s in splits]
    unknown = not lexicon.is_known(piece)
    at_start = [s.token in context.openers for s in splits]
    # A name: a place, country, day or month, or a word the text capitalises inside a sentence
    # ("said Smith"); fused onto the next word, it is a lost space ("Smithsaid", "Mondaythat").
    # After "in/at/from/near" only a piece the lexicon or the site knows reads as a place: a
    # made-up piece there is a keyword ("figures from Pihafuthe hospital").
    named = (
        lexicon.is_place_or_calendar_name(piece)
        or piece in context.named
        or (not unknown and any(s.token in context.named for s in splits))
    )
    # A piece written as a keyword is: capitalised in a sentence of its own of at most three
    # words ("Bonus live.") and never in lower case in the text, while a word the story is
    # about is used in its sentences ("the bonus scheme").
    spelled = found.spelled[:1].upper() + found.spelled[1:].lower()
    echoed = (
        (unknown or lexicon.zipf(piece) >= COMMON_PIECE_ZIPF)
        and not lexicon.is_place_or_calendar_name(piece)
        and piece not in context.named
        and spelled in context.short
        and context.exact[piece] == 0
        and any(_case_break(s) for s in splits)
    )
    return {
        "glued_forms": min(_forms(piece, splits[0].piece_first, context, lexicon) - 1, 2) / 2,
        # A made-up piece also written on its own or in the title; a word of the language
        # ("Computer" beside "Computerand") is written on its own anyway.
        "glued_piece_alone": float(unknown and context.standalone[piece] > 0),
        "glued_piece_in_title": float(unknown and piece in context.title_words),
        # "Besicorp" in the text and "BESICORP" in the headline: a name the item is about.
        "glued_token_in_title": float(any(s.token.lower() in context.title_words for s in splits)),
        "glued_piece_unknown": float(unknown),
        # The keyword glued on twice in a row: "Narerafaxnarerafaxshares".
        "glued_piece_doubled": float(
            len(piece) >= 6 and piece[: len(piece) // 2] * 2 == piece and unknown
        ),
        "glued_word_common": max(min(lexicon.zipf(s.word), 7.5) for s in splits) / 7.5,
        "glued_boundary_rare": max(lexicon.boundary_rarity(s) for s in splits),
        "glued_case_break": sum(_case_break(s) for s in splits) / len(splits),
        "glued_shape_break": float(any(_shape_break(s) for s in splits)),
        # A function word of three letters or more ("the", "and", "from") fused on; two-letter
        # ones ("-on", "-to", "-he") end too many names.
        "glued_function_fused": float(any(function)),
        # The generator's keywords lead ("Rekubitthe"); word-first readings ("mini" + "MIXA",
        # "end" + "acott") are mostly names.
        "glued_piece_first": float(all(s.piece_first for s in splits)),
        "glued_token_repeats": float(any(context.exact[s.token] >= 2 for s in splits)),
        # Where farms put the keyword: at the start of a sentence or paragraph ("Rekubitthe").
        "glued_at_start": sum(at_start) / len(splits),
        "glued_piece_named": float(named),
        # A common word of the language capitalised inside a sentence, fused onto a function
        # word, and written nowhere as a name: "… approved Casinothe budget". After a
        # capitalised word it is a surname ("Marc Vienot", "Mark Haymore").
        # A common word fused onto a function word only: onto a content word it is how brands
        # are made ("Cablevision", "Autoglass").
        "glued_common_capital": float(
            lexicon.zipf(piece) >= COMMON_PIECE_ZIPF
            and not named
            and any(
                s.piece_first and f and not first and s.token not in context.after_capital
                for s, f, first in zip(splits, function, at_start, strict=True)
            )
        ),
        # The piece put in front of a sentence's first word: the word, capitalised, opens other
        # sentences of the text ("Rekubitthe …" beside "The …"); a lost space at a sentence's
        # start leaves the opener in front ("Thecouncil").
        "glued_word_opens": float(
            any(
                first and s.piece_first and s.word.capitalize() in context.openers
                for s, first in zip(splits, at_start, strict=True)
            )
        ),
        "glued_word_echoed": float(echoed),
        # A made-up piece in front of a sentence's first word, which stays in lower case before
        # a capitalised one ("Bitshadavid Sodoturiter said"): no word of a sentence stands so.
        "glued_before_name": float(
            unknown
            and any(
                first and s.piece_first and s.word.islower() and s.token in context.before_capital
                for s, first in zip(splits, at_start, strict=True)
            )
        ),
        # A made-up piece in front of a sentence's first word, capitalised against it, where
        # that word is one the text also writes on its own ("Kukuzodebt dropped" beside "the
        # debt"): the sentence's own word with something put in front. A name or a brand ends
        # in a part the text does not use by itself ("Kakuneldroman", "Zanvorbank").
        "glued_word_used": float(
            unknown
            and any(
                first
                and s.piece_first
                and len(s.word) >= 3
                and _case_break(s)
                and context.standalone[s.word] > 0
                for s, first in zip(splits, at_start, strict=True)
            )
        ),
        # "Maria Kristersson": after a capitalised word, with an ending many words share.
        "glued_name_like": float(
            not echoed
            and all(
                s.token in context.after_capital and lexicon.boundary_rarity(s) < 0.5
                for s in splits
            )
        ),
    }


def _shape_break(split: Split) -> bool:
    """'NIMAXsaid', 'KeyWordthe': a piece in capitals or CamelCase fused in front of a
    lower-case word ("miniMIXA" is a product name written the other way round)."""
    if not split.piece_first:
        return False
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


def _uses(text: str, lexicon: Lexicon) -> tuple[list[str], list[bool], list[bool]]:
    """Each word of the text as a stuffing candidate (lower case, a plural folded onto its
    singular when the text has both: "loan", "Loans", "LOANS"; "" for common and short words
    and numbers), whether a number stands within two words ("1.2 mln dlrs"), and whether it
    is capitalised."""
    # A word's stem before an apostrophe ("Murray's", "he's"), or "" for a number.
    raw = [(m.group(1) or "", m.group(0)) for m in _TOKEN.finditer(text)]
    plain = [stem.lower() for stem, _ in raw]
    present = set(plain)
    near_number = [False] * len(raw)
    for i, (stem, _) in enumerate(raw):
        if not stem:
            near_number[max(i - 2, 0) : i + 3] = [True] * len(near_number[max(i - 2, 0) : i + 3])
    forms, capital = [], []
    for word, (_, written) in zip(plain, raw, strict=True):
        if word.endswith("s") and word[:-1] in present:
            word = word[:-1]
        keep = len(word) > 2 and lexicon.zipf(word) < COMMON_ZIPF
        forms.append(word if keep else "")
        capital.append(written[:1].isupper())
    return forms, near_number, capital


def _gaps(text: str) -> list[str]:
    """Per token of the text, what stands between it and the token before."""
    found = list(_TOKEN.finditer(text))
    return [text[found[i - 1].end() : m.start()] if i else "" for i, m in enumerate(found)]


ARTICLES = {"the", "a", "an"}
_SENTENCE_END = re.compile(r"[.!?]")


def _out_of_place(text: str) -> list[bool]:
    """Per token of the text, whether it sits where no word of a sentence would: a lower-case
    word opening a sentence (". loans The …"), or directly before an article ("… would
    loans the …") or before a capitalised word ("… employs hawupekan The …"). A word repeated
    because the story is about it keeps its grammar ("no choice", "download speeds of")."""
    found = list(_TOKEN.finditer(text))
    out = []
    for i, match in enumerate(found):
        written = match.group(0)
        lower = written[:1].islower()
        before = text[found[i - 1].end() : match.start()] if i else "."
        after = text[match.end() : found[i + 1].start()] if i + 1 < len(found) else "."
        following = found[i + 1].group(0) if i + 1 < len(found) else ""
        joined = not after.strip()
        out.append(
            (lower and bool(_SENTENCE_END.search(before)))
            or (joined and following.lower() in ARTICLES and following != "A")
            or (lower and joined and following[:1].isupper())
        )
    return out


def _phrase_repeats(text: str, forms: list[str]) -> list[bool]:
    """Per token, whether it is a candidate word in a two-word phrase the text has used before:
    the same partner on the same side, itself a content word ("animal welfare", "download
    speeds"); a function word beside it ("the loans") or the word itself ("toto toto") is none,
    since a keyword dropped in anywhere lands beside those again and again."""
    lower = [m.group(0).lower() for m in _TOKEN.finditer(text)]
    first: dict[tuple[str, str], int] = {}  # each phrase's first place
    again = [False] * len(forms)  # phrases (by their first word's place) said before
    # A word followed again by the same preposition is a construction the writer repeats
    # ("choice on public services, choice on this and choice on that"): only the word counts.
    again_before = [False] * len(forms)
    for j in range(len(forms) - 1):
        if forms[j] and forms[j + 1] and forms[j] != forms[j + 1]:
            again[j] = first.setdefault((lower[j], lower[j + 1]), j) < j
        elif forms[j] and lower[j + 1] in PREPOSITIONS:
            again_before[j] = first.setdefault((lower[j], lower[j + 1]), j) < j
    return [
        bool(w) and (again[i] or again_before[i] or i > 0 and again[i - 1])
        for i, w in enumerate(forms)
    ]


# Not articles: a keyword dropped in anywhere lands before "the" again and again.
PREPOSITIONS = {"on", "of", "for", "in", "at", "to", "with", "from", "over", "about", "into"}


def _densest(forms: list[str], counted: list[bool], size: int) -> tuple[str, int, int]:
    """The word with the most counted uses in any `size` consecutive words, how many, and
    where that passage ends."""
    best_word, best_count, best_end = "", 0, 0
    window: Counter[str] = Counter()
    for i, word in enumerate(forms):
        if i >= size and forms[i - size] and counted[i - size]:
            window[forms[i - size]] -= 1
        if word and counted[i]:
            window[word] += 1
            if window[word] > best_count:
                best_word, best_count, best_end = word, window[word], i
    return best_word, best_count, best_end


def _stuffing(out: Signals, title: str, text: str, lexicon: Lexicon) -> None:
    forms, near_number, capital = _uses(text, lexicon)
    # Uses beside a number are a table's units ("12 cts vs 10 cts"), not prose: not counted.
    in_prose = [not n for n in near_number]
    # A phrase said again ("animal welfare", "download speeds") counts once: a word
    # repeated because the story is about it keeps its partners, a stuffed one lands anywhere.
    counted = [p and not r for p, r in zip(in_prose, _phrase_repeats(text, forms), strict=True)]
    best_word, best_count, end = _densest(forms, counted, WINDOW)
    _, short_count, _ = _densest(forms, counted, SHORT_WINDOW)
    passage = capital[max(end - WINDOW + 1, 0) : end + 1]
    size = max(min(len(forms), WINDOW), 20)
    places = [i for i, w in enumerate(forms) if w == best_word and in_prose[i]] if best_word else []
    adjacent = sum(1 for a, b in itertools.pairwise(places) if b - a <= 3)
    v = out.values
    v["stuffing_window_share"] = best_count / size if best_count >= MIN_REPEATS else 0.0
    # "Blah blah blah." as the whole body is a placeholder: a short passage is weighed only
    # inside a text long enough to have prose around it.
    dense = short_count >= MIN_SHORT_REPEATS and len(forms) >= 2 * SHORT_WINDOW
    v["stuffing_short_share"] = short_count / SHORT_WINDOW if dense else 0.0
    v["stuffing_total_share"] = len(places) / max(len(forms), 20)
    repeated = best_count >= MIN_REPEATS or dense
    v["stuffing_adjacent"] = adjacent / max(len(places), 1) if repeated else 0.0
    # Back to back with nothing between ("toto toto"); "choice - choice on …" is a refrain.
    gaps = _gaps(text) if repeated else []
    v["stuffing_doubled"] = float(
        repeated and any(b - a == 1 and not gaps[b].strip() for a, b in itertools.pairwise(places))
    )
    v["stuffing_capitalised"] = sum(capital[i] for i in places) / max(len(places), 1)
    # A passage of mostly capitalised words is a list (a line-up, a table of names), where a
    # club or a unit repeats by design.
    v["stuffing_passage_capitalised"] = sum(passage) / max(len(passage), 1)
    v["stuffing_unknown"] = float(bool(best_word) and not lexicon.is_known(best_word))
    v["stuffing_in_title"] = float(best_word in {w.lower() for w in words(title)})
    misplaced = _out_of_place(text) if places else []
    v["stuffing_out_of_place"] = sum(misplaced[i] for i in places) / max(len(places), 1)
    if not repeated:  # one use of a broken word ("ritain 's") is no stuffing, however odd
        for name in ("stuffing_total_share", "stuffing_capitalised", "stuffing_unknown",
                     "stuffing_in_title", "stuffing_out_of_place"):  # fmt: skip
            v[name] = 0.0
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
    # Scraped widgets come in groups (Related, Ranking, Tags, ...); one "Read more" or
    # "Related:" line is how many clean articles end.
    out.values["nav_labels"] = min(max(len(labels) - 1, 0), 4) / 4
    out.values["nav_label_lines"] = min(max(label_lines - 1, 0), 4) / 4
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
    "glued_typos",
    "glued_echo_fused",
    "glued_stutter",
    *GLUED_FEATURES,
    "stuffing_window_share",
    "stuffing_short_share",
    "stuffing_total_share",
    "stuffing_adjacent",
    "stuffing_doubled",
    "stuffing_capitalised",
    "stuffing_passage_capitalised",
    "stuffing_unknown",
    "stuffing_in_title",
    "stuffing_out_of_place",
    "nav_labels",
    "nav_label_lines",
    "nav_short_lines",
    "link_share",
    "link_count",
    "title_unknown_absent",
    "glued_strong",
    "glued_echoed",
    "glued_function_strong",
    "glued_repeated",
    "glued_common_strong",
    "stuffing_prose",
    "stuffing_dense",
    "nav_lists",
)
GROUPS = {
    "title": "title_",
    "glued": "glued_",
    "stuffing": "stuffing_",
    "navigation": "nav_",
    "links": "link_",
}
