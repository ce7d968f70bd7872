"""How plausible a token is as a word, and whether it is a word fused onto an unknown piece.

The general lexicon is wordfreq's large English list (about 320,000 words with their frequency
on the Zipf scale, 0 for unseen); the site's own vocabulary (`site_known`) adds the names and
terms a newsroom already uses, so a surname the site has printed before is not "unknown".
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import itertools
import json
import math
import os
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import wordfreq
from babel import Locale

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# A fused word must be at least this common (Zipf 4 is about once per 100,000 words:
# "government", "market", "the"), so rare name endings such as "-berg" or "-ov" do not count.
GLUE_ZIPF = 4.0
LONG_GLUE_ZIPF = 3.0  # a longer fused word ("analysts", "forecast") may be less common
MIN_PIECE = 3  # characters of the unknown piece left over
# -log10 of the chance of an unseen word before its length counts (Norvig: 10 / (N * 10**len),
# N about 10**12 words behind wordfreq's counts).
UNSEEN_COST = 11.0
TYPO_ZIPF = 2.0  # a typo is one edit from a word at least this common


@functools.cache
def _frequencies() -> dict[str, float]:
    return wordfreq.get_frequency_dict("en", "large")


@functools.cache
def _boundaries() -> tuple[Counter[str], Counter[str]]:
    """How many words of the lexicon end (and begin) with each common word: many real words end
    in "-on" or "-son", few in "-the" and none in "-government", so a fused word at a rare
    boundary is more likely glued on than part of a name."""
    frequencies = _frequencies()
    common = {w for w, f in frequencies.items() if f >= 10 ** (GLUE_ZIPF - 9) and w.isalpha()}
    endings: Counter[str] = Counter()
    openings: Counter[str] = Counter()
    for word in frequencies:
        n = len(word)
        for k in range(2, min(n - 2, 12) + 1):
            if word[n - k :] in common:
                endings[word[n - k :]] += 1
            if word[:k] in common:
                openings[word[:k]] += 1
    return endings, openings


# Where `_boundary_table` keeps the table between processes: set by the ingest app from the
# var dir (`store_tables_in`); None (a plain script) builds it in memory.
_table_dir: Path | None = None


def store_tables_in(directory: Path) -> None:
    global _table_dir
    _table_dir = directory
    _boundary_table.cache_clear()


@functools.cache
def _boundary_table() -> tuple[Counter[str], Counter[str]]:
    """`_boundaries`, built once per installation instead of once per process (2 s of CPU):
    stored as JSON in `_table_dir`, named by the wordfreq version and a digest of the code that
    builds it, so a new word list or a changed rule builds a new file."""
    if _table_dir is None:
        return _boundaries()
    recipe = (
        f"{importlib.metadata.version('wordfreq')} {GLUE_ZIPF} {inspect.getsource(_boundaries)}"
    )
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    path = _table_dir / f"boundaries-{digest}.json"
    try:
        endings, openings = json.loads(path.read_text())
        return Counter(endings), Counter(openings)
    except (OSError, ValueError):
        pass
    endings, openings = _boundaries()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps([endings, openings]))
    partial.replace(path)  # atomic: a reader sees the old file or the whole new one
    return endings, openings


@functools.cache
def _place_and_calendar_names() -> frozenset[str]:
    """Words that are names in any position: countries, territories, languages, days and months
    (Unicode CLDR, shipped with babel) and the cities of the time-zone database (tzdata). A
    capitalised "Monday" or "Nairobi" fused onto the next word is a lost space; a capitalised
    common word ("Casino") mid-sentence is not written that way by a newsroom."""
    english = Locale("en")
    names = [*english.territories.values(), *english.languages.values()]
    names += [*english.days["format"]["wide"].values(), *english.months["format"]["wide"].values()]
    names += [key.rsplit("/", 1)[-1].replace("_", " ") for key in zoneinfo.available_timezones()]
    return frozenset(w.lower() for name in names for w in WORD.findall(name) if len(w) >= 3)


@dataclass(frozen=True)
class Split:
    """A token read as an unknown piece fused to a known word ("Rekubit" + "the")."""

    token: str
    piece: str
    word: str
    piece_first: bool  # the piece comes before the word


class Lexicon:
    """Word plausibility from wordfreq plus the site's vocabulary."""

    def __init__(self, site_known: Callable[[str], bool] | None = None) -> None:
        self._frequencies = _frequencies()
        self._site_known = site_known
        self._known_cache: dict[str, bool] = {}
        self._zipf_cache: dict[str, float] = {}

    def zipf(self, word: str) -> float:
        cached = self._zipf_cache.get(word)
        if cached is None:
            frequency = self._frequencies.get(word.lower(), 0.0)
            cached = math.log10(frequency * 1e9) if frequency else 0.0
            if len(self._zipf_cache) < 200_000:  # a long-lived worker's cache stays bounded
                self._zipf_cache[word] = cached
        return cached

    def is_known(self, word: str) -> bool:
        lower = word.lower()
        cached = self._known_cache.get(lower)
        if cached is None:
            cached = lower in self._frequencies or (
                self._site_known is not None and self._site_known(lower)
            )
            if len(self._known_cache) < 200_000:
                self._known_cache[lower] = cached
        return cached

    def is_place_or_calendar_name(self, word: str) -> bool:
        return word.lower() in _place_and_calendar_names()

    def boundary_rarity(self, split: Split) -> float:
        """0 when many real words have this boundary ("-son"), towards 1 when none do."""
        endings, openings = _boundary_table()
        count = (endings if split.piece_first else openings)[split.word]
        return max(0.0, 1.0 - math.log10(1 + count) / 4)

    def split(self, token: str, local: Collection[str] = ()) -> Split | None:
        """The likeliest reading of an unknown token as a piece fused to a word, or None.

        A unigram segmentation: a known part costs -log10 of its frequency, an unknown part
        costs more the longer it is (Norvig's estimate for unseen words), so "Wimgorsepdai" +
        "analysts" beats "wi" + "mgorsepdaianalysts" and "forex" + "forecast" beats "for" +
        "exforecast". The word part is a common word or, failing that, a word of the same text
        (`local`, lower case: "Seppel" fused onto a surname the article uses on its own), or any
        known word behind a piece the text writes on its own."""
        if len(token) < MIN_PIECE + 2 or self.is_known(token):
            return None
        lower = token.lower()
        best: tuple[float, Split] | None = None
        for cut in range(MIN_PIECE, len(lower) - 1):
            for piece, word, piece_first in (
                (token[:cut], lower[cut:], True),
                (token[len(lower) - cut :], lower[: len(lower) - cut], False),
            ):
                word_cost = self._word_cost(word, piece.lower(), local)
                if word_cost is None or _inside_camel_case(token, cut if piece_first else -cut):
                    continue
                # On a tie ("Casino" + "yet", both words) the piece leads: keywords are put first.
                cost = word_cost + self._piece_cost(piece.lower(), local) + 0.01 * (not piece_first)
                if best is None or cost < best[0]:
                    best = (cost, Split(token, piece, word, piece_first))
        return best[1] if best else None

    def _word_cost(self, word: str, piece: str, local: Collection[str]) -> float | None:
        zipf = self.zipf(word)
        if zipf >= GLUE_ZIPF and len(word) >= 2 or zipf >= LONG_GLUE_ZIPF and len(word) >= 6:
            return 9.0 - zipf
        if len(word) >= 4 and word in local:
            return 9.0 - GLUE_ZIPF
        # Behind a piece the text writes on its own ("Drosha online." beside "Droshaelena"),
        # any word of the language or of the site will do.
        if len(word) >= MIN_PIECE and piece in local and self.is_known(word):
            return 9.0 - max(zipf, GLUE_ZIPF - 1)
        return None

    def _piece_cost(self, piece: str, local: Collection[str]) -> float:
        """A word of the language costs by its frequency; a word of the same text (a keyword
        also written on its own) like a common word; anything else by its length."""
        zipf = self.zipf(piece)
        if zipf:
            return 9.0 - zipf
        return 9.0 - GLUE_ZIPF if piece in local else UNSEEN_COST + len(piece)

    def near_word(self, token: str) -> bool:
        """Whether the token is one edit (a letter dropped, added, changed or two swapped) from
        a word of the language or of the site: "Nonethless" is a typo of "nonetheless" and
        "AztraZeneca" of a company the site names, not glued keywords."""
        lower = token.lower()
        if len(lower) < 6:
            return False
        letters = "abcdefghijklmnopqrstuvwxyz"
        cuts = [(lower[:i], lower[i:]) for i in range(len(lower) + 1)]
        edits = itertools.chain(
            (a + b[1:] for a, b in cuts if b),
            (a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1),
            (a + c + b[1:] for a, b in cuts if b for c in letters),
            (a + c + b for a, b in cuts for c in letters),
        )
        return any(
            self.zipf(edit) >= TYPO_ZIPF or self._site_known is not None and self._site_known(edit)
            for edit in edits
            if edit != lower
        )


def _inside_camel_case(token: str, cut: int) -> bool:
    """Whether a cut falls after the capital that starts a word of a CamelCase token
    ("ZanvorC|are" in "ZanvorCare"), where no one would read a fusion; all-capital pieces
    ("NIMAX|said") are cut at the case change."""
    before, after = token[:cut], token[cut:]
    return before[-1:].isupper() and after[:1].islower() and not before.isupper()


def words(text: str) -> list[str]:
    return WORD.findall(text)
