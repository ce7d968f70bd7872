"""The Ranking formula: time-decayed popularity from hourly views and reactions.

    score(article) = sum over hours h in the window of
                     (views_h + REACTION_WEIGHT * reactions_h) * 2 ** (-age_h / half_life)

age_h is the time from the middle of hour h to now (0 for the current hour) and half_life is a
quarter of the window (15 min for 1 h, 6 h for 24 h, 42 h for 7 d), so within any window what
was read recently counts most, yet a story that was huge a little while ago does not vanish at
once. A reaction counts as five views: readers react to about one article in fifty they open,
and a reaction is a deliberate signal where a view may be a bounce.

Plain Python, no Django: the SQL and Redis backends both weight hours with `hour_weights`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
REACTION_WEIGHT = 5.0


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def hour_weights(*, window: timedelta, now: datetime) -> dict[datetime, float]:
    """Decay weight of every hourly bucket that overlaps the window ending at `now`."""
    half_life = window.total_seconds() / 4
    start = now - window
    weights = {}
    hour = hour_start(now)
    while hour + timedelta(hours=1) > start:
        middle = min(hour + timedelta(minutes=30), now)
        age = (now - middle).total_seconds()
        weights[hour] = 2 ** (-age / half_life)
        hour -= timedelta(hours=1)
    return weights


def activity_score(*, views: float, reactions: float) -> float:
    return views + REACTION_WEIGHT * reactions


# Forward decay: each hourly bucket is stored with weight 2 ** ((middle - landmark) / half_life)
# instead of being decayed at query time. Every article's sum is then the decayed score times
# the same factor 2 ** ((now - landmark) / half_life), so the order of articles does not change
# as time passes and a list is an ORDER BY on the stored sum. Unlike `hour_weights`, the current
# hour is not capped at now; that changes a score only within its own hour.
RESCALE_AFTER = (
    256.0  # half-lives past the landmark before sums are rescaled (floats reach 2**1023)
)


def half_life(window: timedelta) -> float:
    return window.total_seconds() / 4


def bucket_weight(*, hour: datetime, window: timedelta, landmark: datetime) -> float:
    """Forward-decayed weight of the hourly bucket starting at `hour`."""
    middle = hour + timedelta(minutes=30)
    return float(2 ** ((middle - landmark).total_seconds() / half_life(window)))


def decay_factor(*, window: timedelta, landmark: datetime, now: datetime) -> float:
    """What turns a forward-decayed sum into the score at `now`."""
    # Clamped: a `now` far before the landmark (a clock set back) must not overflow.
    return float(
        2 ** max(-1000.0, min(1000.0, -(now - landmark).total_seconds() / half_life(window)))
    )


def first_hour_in(*, window: timedelta, now: datetime) -> datetime:
    """The oldest hourly bucket that still overlaps the window ending at `now`."""
    return hour_start(now - window)


def needs_rescale(*, window: timedelta, landmark: datetime, now: datetime) -> bool:
    return (now - landmark).total_seconds() / half_life(window) > RESCALE_AFTER
