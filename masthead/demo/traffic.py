"""Synthetic reader traffic: readers with channel preferences, sessions, Zipf-like popularity
that decays with article age, and reactions at a realistic rate.

Plain Python, no Django: `traffic_sessions` yields what readers do; the simulate service sends
each action through the same services as real beacons and reaction clicks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ZIPF_EXPONENT = 1.1
# Interest in an article halves every this many hours after publication.
AGE_HALF_LIFE_HOURS = 12
REACTION_RATE = 0.03
PRIVATE_SHARE = 0.1
FAVOURITE_BOOST = 4.0
CANDIDATE_AGE = timedelta(days=7)


@dataclass(frozen=True)
class TrafficArticle:
    id: int
    channel: str  # top-level channel path
    published_at: datetime


@dataclass
class Session:
    reader: int
    is_private: bool
    started_at: datetime
    views: list[tuple[int, datetime]] = field(default_factory=list)
    reactions: list[tuple[int, datetime]] = field(default_factory=list)


def traffic_sessions(
    *, items: list[TrafficArticle], readers: int, hours: int, now: datetime, seed: int
) -> Iterator[Session]:
    """Sessions of `readers` synthetic readers over the last `hours`, in time order."""
    rng = random.Random(seed)
    items = sorted(items, key=lambda item: item.published_at)
    # Intrinsic appeal: a random Zipf rank per article (a few hits, a long tail).
    ranks = list(range(1, len(items) + 1))
    rng.shuffle(ranks)
    appeal = {item.id: 1 / rank**ZIPF_EXPONENT for item, rank in zip(items, ranks, strict=True)}
    channels = sorted({item.channel for item in items})
    if not items:
        return
    profiles = [
        (
            rng.random() < PRIVATE_SHARE,
            set(rng.sample(channels, k=min(len(channels), rng.randint(1, 3)))),
        )
        for _ in range(readers)
    ]
    starts = []
    for reader in range(readers):
        for _ in range(max(1, round(rng.expovariate(1 / max(1, hours / 12))))):
            starts.append((now - timedelta(seconds=rng.uniform(0, hours * 3600)), reader))
    for started, reader in sorted(starts):
        is_private, favourites = profiles[reader]
        yield _session(rng, items, appeal, reader, is_private, favourites, started, now)


def _session(rng, items, appeal, reader, is_private, favourites, started, now) -> Session:
    session = Session(reader=reader, is_private=is_private, started_at=started)
    candidates = [i for i in items if started - CANDIDATE_AGE <= i.published_at <= started]
    if not candidates:
        return session
    weights = [
        appeal[i.id]
        * 0.5 ** ((started - i.published_at).total_seconds() / 3600 / AGE_HALF_LIFE_HOURS)
        * (FAVOURITE_BOOST if i.channel in favourites else 1.0)
        for i in candidates
    ]
    at = started
    for _ in range(min(len(candidates), 1 + int(rng.expovariate(1 / 2.5)))):
        item = rng.choices(candidates, weights)[0]
        at = min(at + timedelta(seconds=rng.uniform(20, 240)), now)
        session.views.append((item.id, at))
        if rng.random() < REACTION_RATE:
            session.reactions.append((item.id, at + timedelta(seconds=30)))
    return session


def reader_id(seed: int, reader: int) -> str:
    """A stable 32-hex-digit id for a synthetic reader."""
    return f"{seed:08x}{reader:024x}"[-32:].rjust(32, "0")
