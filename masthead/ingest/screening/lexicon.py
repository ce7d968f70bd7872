"""How plausible a token is as a word, and whether it is a word fused onto an unknown piece.

The general lexicon is wordfreq's large English list (about 320,000 words with their frequency
on the Zipf scale, 0 for unseen); the site's own vocabulary (`site_known`) adds the names and
terms a newsroom already uses, so a surname the site has printed before is not "unknown".
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import wordfreq

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# A fused word must be at least this common (Zipf 4 is about once per 100,000 words:
# "government", "market", "the"), so rare name endings such as "-berg" or "-ov" do not count.
GLUE_ZIPF = 4.0
MIN_PIECE = 3  # characters of the unknown piece left over


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

    def boundary_rarity(self, split: Split) -> float:
        """0 when many real words have this boundary ("-son"), towards 1 when none do."""
        endings, openings = _boundaries()
        count = (endings if split.piece_first else openings)[split.word]
        return max(0.0, 1.0 - math.log10(1 + count) / 4)

    def split(self, token: str) -> Split | None:
        """The best reading of an unknown token as unknown piece + common word, by unigram
        frequency of the word part (longest common word wins ties), or None."""
        if len(token) < MIN_PIECE + 2 or self.is_known(token):
            return None
        lower = token.lower()
        best: tuple[float, Split] | None = None
        for cut in range(MIN_PIECE, len(lower) - 1):
            for piece, word, piece_first in (
                (token[:cut], lower[cut:], True),
                (token[len(lower) - cut :], lower[: len(lower) - cut], False),
            ):
                zipf = self.zipf(word)
                if zipf < GLUE_ZIPF or len(word) < 2:
                    continue
                score = zipf + 0.5 * len(word)
                if best is None or score > best[0]:
                    best = (score, Split(token, piece, word, piece_first))
        return best[1] if best else None


def words(text: str) -> list[str]:
    return WORD.findall(text)
