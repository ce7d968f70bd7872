"""Recommendation's scoring: the one function the site (`interface.recommend`) and the offline
evaluation (`masthead evaluate`, `evaluation/replay.py`) both call, with its constants.

Each source scores candidates in [0, 1]; the blend is a weighted sum of the sources, each scaled
so its best candidate scores 1 (`blend`). The sources:

- like: co-visitation neighbours of what the reader read, weighted by how recently they read it;
- content: Related neighbours of what the reader read, weighted the same way;
- trending_channel: what is trending in the reader's TOP_CHANNELS channels, by their share;
- trending: what is trending site-wide;
- fresh: newness, halving every FRESH_HALF_LIFE_HOURS;
- picks: the editor's pinned stories.

A reader without history gets only the last three. Plain Python; no Django.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

HISTORY_SIZE = 20  # most recent reads that count
HISTORY_HALF_LIFE = 5  # a read's weight halves every this many reads back
FRESH_HALF_LIFE_HOURS = 12
TOP_CHANNELS = 3

# Chosen on simulated traffic (docs/evaluation.md): the personal sources weigh as much as
# trending and fresh together, so a reader with a history sees it in the list. Click-through
# is not here: the site does not log what it showed, so it cannot compute it.
WEIGHTS: dict[str, float] = {
    "like": 1.5,
    "content": 3.0,
    "trending_channel": 2.0,
    "trending": 2.0,
    "fresh": 1.0,
    "picks": 0.3,
}


def blend(sources: dict[str, dict[int, float]], weights: dict[str, float]) -> dict[int, float]:
    """Weighted sum of per-source scores, each source scaled so its best candidate scores 1."""
    total: dict[int, float] = {}
    for name, scores in sources.items():
        w = weights.get(name, 0.0)
        if not w or not scores:
            continue
        top = max(scores.values())
        if top <= 0:
            continue
        for item, score in scores.items():
            total[item] = total.get(item, 0.0) + w * score / top
    return total


SOURCES = tuple(WEIGHTS)


@dataclass(frozen=True)
class Read:
    """One article of the reader's history and what discovery knows about it."""

    id: int
    channel: str = ""
    like: Sequence[tuple[int, float]] = ()  # co-visitation neighbours (id, similarity)
    content: Sequence[tuple[int, float]] = ()  # Related neighbours (id, score)


@dataclass
class Signals:
    """Everything the scorer reads, gathered by the caller (site or replay)."""

    now: float  # epoch seconds
    published: Mapping[int, float]  # fresh candidates: id -> publication time
    trending: Mapping[int, float]  # site-wide popularity, any scale
    channel_trending: Mapping[str, Mapping[int, float]] = field(default_factory=dict)
    picks: Sequence[int] = ()
    history: Sequence[Read] = ()  # most recent first


@dataclass(frozen=True)
class Scored:
    id: int
    score: float
    source: str  # the source that contributed most
    because: int | str | None  # the read (for like/content) or channel (trending_channel)


def _scaled(scores: Mapping[int, float]) -> dict[int, float]:
    top = max(scores.values(), default=0.0)
    return {a: s / top for a, s in scores.items()} if top > 0 else {}


def recommend_sources(
    signals: Signals,
) -> tuple[dict[str, dict[int, float]], dict[tuple[str, int], int | str]]:
    """Every source's scores, and for personal sources what each score comes from."""
    sources: dict[str, dict[int, float]] = {
        "fresh": {
            a: 0.5 ** (max(signals.now - t, 0.0) / 3600 / FRESH_HALF_LIFE_HOURS)
            for a, t in signals.published.items()
        },
        "picks": {a: 1.0 for a in signals.picks},
        "trending": _scaled(signals.trending),
    }
    because: dict[tuple[str, int], int | str] = {}
    first: dict[int, Read] = {}
    for read in signals.history[:HISTORY_SIZE]:
        first.setdefault(read.id, read)
    history = list(first.values())
    if not history:
        return sources, because
    for name in ("like", "content"):
        sources[name] = {}
        for rank, read in enumerate(history):
            weight = 0.5 ** (rank / HISTORY_HALF_LIFE)
            for other, similarity in getattr(read, name):
                score = weight * similarity
                if score > sources[name].get(other, 0.0):
                    sources[name][other] = score
                    because[(name, other)] = read.id
    sources["trending_channel"] = {}
    known = [r.channel for r in history if r.channel]
    for channel, count in Counter(known).most_common(TOP_CHANNELS):
        for other, score in _scaled(signals.channel_trending.get(channel, {})).items():
            value = count / len(known) * score
            if value > sources["trending_channel"].get(other, 0.0):
                sources["trending_channel"][other] = value
                because[("trending_channel", other)] = channel
    return sources, because


def recommend_score(
    signals: Signals,
    *,
    exclude: Iterable[int] = (),
    weights: Mapping[str, float] = WEIGHTS,
    limit: int | None = None,
) -> list[Scored]:
    """Candidates best first (ties by id), never one read or in `exclude`."""
    sources, because = recommend_sources(signals)
    skip = set(exclude) | {r.id for r in signals.history}
    for scores in sources.values():
        for article in skip & scores.keys():
            del scores[article]
    total = blend(sources, dict(weights))
    order = sorted(total, key=lambda a: (-total[a], a))
    if limit is not None:
        order = order[:limit]
    tops = {name: max(scores.values(), default=0.0) for name, scores in sources.items()}

    def contribution(name: str, article: int) -> float:
        top = tops[name]
        return weights.get(name, 0.0) * sources[name][article] / top if top > 0 else 0.0

    out = []
    for article in order:
        source = max(
            (name for name in sources if article in sources[name]),
            key=lambda name: contribution(name, article),
        )
        out.append(Scored(article, total[article], source, because.get((source, article))))
    return out
