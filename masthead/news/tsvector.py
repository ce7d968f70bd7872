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
from collections.abc import Callable
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

# A chunk's vector: (lexeme as written in a literal, position counted from 1 within the chunk)
# for each position of each lexeme, and how many positions the chunk takes.
Chunk = tuple[tuple[tuple[str, int], ...], int]


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
    pairs = tuple((_escaped(lexeme), p) for lexeme, ps in parsed.items() for p in ps)
    return pairs, last - 1


def _escaped(lexeme: str) -> str:
    return lexeme.replace("\\", "\\\\").replace("'", "''")


Lookup = Callable[[list[tuple[str, bool]]], list[str]]


@dataclass
class ChunkVectors:
    """The vectors of the chunks met in one bulk run, per text search configuration and by
    whether the chunk opens its text."""

    known: dict[tuple[str | None, bool], dict[str, Chunk | None]] = field(default_factory=dict)

    def literals(self, config: str | None, texts: list[str], lookup: Lookup) -> list[str | None]:
        """`to_tsvector(config, text)` of each text as a tsvector literal, or None where the
        server should compute it. `lookup` gives `to_tsvector(config, lookup_text(chunk, ...))`
        as text for each (chunk, opens its text) not met before, in order."""
        if sum(map(len, self.known.values())) > MAX_CHUNKS:
            self.known.clear()
        first = self.known.setdefault((config, True), {})
        rest = self.known.setdefault((config, False), {})
        split = [chunks_split(text) if is_composable(text) else None for text in texts]
        missing: dict[tuple[str, bool], None] = {}
        for chunks in split:
            if chunks:
                if chunks[0] not in first:
                    missing[(chunks[0], True)] = None
                missing.update(dict.fromkeys((c, False) for c in chunks[1:] if c not in rest))
        if missing:
            keys = list(missing)
            for (chunk, is_first), looked_up in zip(keys, lookup(keys), strict=True):
                (first if is_first else rest)[chunk] = chunk_from_lookup(looked_up)
        return [None if chunks is None else _composed(chunks, first, rest) for chunks in split]


def _composed(
    chunks: list[str], first: dict[str, Chunk | None], rest: dict[str, Chunk | None]
) -> str | None:
    positions: dict[str, list[int]] = {}
    offset = 0
    table = first
    for chunk in chunks:
        vector = table.get(chunk)
        table = rest
        if vector is None:
            return None
        pairs, taken = vector
        for lexeme, relative in pairs:
            at = positions.get(lexeme)
            if at is None:
                positions[lexeme] = [offset + relative]
            else:
                at.append(offset + relative)
        offset += taken
    if offset > MAX_POSITION or any(
        len(at) > MAX_POSITIONS_PER_LEXEME for at in positions.values()
    ):
        return None
    return " ".join([f"'{lexeme}':{','.join(map(str, at))}" for lexeme, at in positions.items()])
