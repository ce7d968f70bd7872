"""PostgreSQL's `to_tsvector(config, text)` put together from the vectors of the text's words.

PostgreSQL's default text search parser never lets a token run across a space, tab or line break
except inside an HTML tag, so a text's vector is its whitespace-separated chunks' vectors, each
shifted by the positions the chunks before it took. A chunk at the start of a text can parse
otherwise than after a space (`~user` is a file path there, a word after a space), so the two
are learnt apart. Stopwords take a position and give no
lexeme, so a chunk's vector alone does not say how many it took: it is asked for followed by a
marker word, whose position, less one, is that count. Parsing and stemming (most of what
indexing an article costs the server) then happen once per distinct chunk of a bulk run instead
of once per word written; the row gets the composed vector as a `tsvector` literal.

Texts where composing is not known to be exact are left to the server: an HTML tag (`<`),
positions past PostgreSQL's limits (16,383 per text, 255 per lexeme), very long texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MARKER = "zzqxjmark"
# PostgreSQL caps a position at 16,383 and keeps at most 256 positions of one lexeme; texts
# that come near either are composed by the server instead.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 255
MAX_TEXT = 200_000
# Distinct chunks remembered before starting afresh (a bound on memory, about 200 MB at most).
MAX_CHUNKS = 500_000

_SPLIT = re.compile(r"[ \t\n\r]+")
_LEXEME = re.compile(r"'((?:[^'\\]|''|\\.)*)'(?::([0-9A-D,]+))?")
_UNESCAPE = re.compile(r"''|\\(.)")

# A chunk's vector: its lexemes with positions counted from 1 within the chunk, and how many
# positions the chunk takes.
Chunk = tuple[tuple[tuple[str, tuple[int, ...]], ...], int]


def chunks_split(text: str) -> list[str]:
    """The whitespace-separated chunks of `text`, as the parser meets them."""
    return [chunk for chunk in _SPLIT.split(text) if chunk]


def is_composable(text: str) -> bool:
    """Whether `text`'s vector can be composed from its chunks' (no tag, not too long)."""
    return "<" not in text and len(text) <= MAX_TEXT


def lookup_text(chunk: str, *, is_first: bool) -> str:
    """What to give `to_tsvector` to learn `chunk`'s vector: the chunk (after a space unless it
    opens the text), then the marker."""
    return f"{chunk} {MARKER}" if is_first else f" {chunk} {MARKER}"


def vector_parse(text: str) -> dict[str, list[int]]:
    """A tsvector's text form (`'lexeme':1,4B 'other':2`) as lexeme -> positions."""
    parsed: dict[str, list[int]] = {}
    for match in _LEXEME.finditer(text):
        lexeme = _UNESCAPE.sub(lambda m: m.group(1) or "'", match.group(1))
        positions = match.group(2) or ""
        parsed[lexeme] = [int(p.rstrip("ABCD")) for p in positions.split(",") if p]
    return parsed


def chunk_from_lookup(looked_up: str) -> Chunk | None:
    """A chunk's vector from the vector of `lookup_text(chunk)`; None if the marker is missing
    (a text search configuration that drops it cannot be composed this way)."""
    parsed = vector_parse(looked_up)
    last = max((max(p) for p in parsed.values() if p), default=0)
    owner = [lexeme for lexeme, positions in parsed.items() if last in positions]
    if last == 0 or len(owner) != 1 or not owner[0].startswith(MARKER[:5]):
        return None
    parsed[owner[0]].remove(last)
    lexemes = tuple((lexeme, tuple(ps)) for lexeme, ps in parsed.items() if ps)
    return lexemes, last - 1


def _escaped(lexeme: str) -> str:
    return lexeme.replace("\\", "\\\\").replace("'", "''")


@dataclass
class ChunkVectors:
    """The vectors of the chunks met in one bulk run, per text search configuration."""

    known: dict[tuple[str | None, str, bool], Chunk | None] = field(default_factory=dict)

    def missing(self, config: str | None, texts: Iterable[str]) -> list[tuple[str, bool]]:
        """The distinct (chunk, opens a text) of the composable `texts` not known yet for
        `config`."""
        if len(self.known) > MAX_CHUNKS:
            self.known.clear()
        found: dict[tuple[str, bool], None] = {}
        for text in texts:
            if is_composable(text):
                for index, chunk in enumerate(chunks_split(text)):
                    if (config, chunk, index == 0) not in self.known:
                        found[(chunk, index == 0)] = None
        return list(found)

    def learn(self, config: str | None, chunk: str, is_first: bool, looked_up: str) -> None:
        self.known[(config, chunk, is_first)] = chunk_from_lookup(looked_up)

    def literal(self, config: str | None, text: str) -> str | None:
        """`to_tsvector(config, text)` as a tsvector literal, or None when the server should
        compute it (a chunk not learned, or a text outside what composing handles)."""
        if not is_composable(text):
            return None
        positions: dict[str, list[int]] = {}
        offset = 0
        known = self.known
        is_first = True
        for chunk in chunks_split(text):
            vector = known.get((config, chunk, is_first))
            is_first = False
            if vector is None:
                return None
            lexemes, taken = vector
            for lexeme, relative in lexemes:
                at = positions.setdefault(lexeme, [])
                at.extend(offset + p for p in relative)
            offset += taken
        if offset > MAX_POSITION or any(
            len(at) > MAX_POSITIONS_PER_LEXEME for at in positions.values()
        ):
            return None
        return " ".join(
            f"'{_escaped(lexeme)}':{','.join(map(str, at))}" for lexeme, at in positions.items()
        )
