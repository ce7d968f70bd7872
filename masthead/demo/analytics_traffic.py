"""The analytics side of simulated sessions: where each view came from, what the page showed,
which widget position was clicked, and the searches readers typed.

Each session's first view comes from outside, the home page, a channel or a search; later views
came from one of the article page's widgets, at a position that favours the top of the list.
Recorded through the same services as the page's beacons (`engagement.hourly`) and the search
view (`news.search_log`).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from masthead.engagement import hourly
from masthead.news.search_log import search_query_record

ENTRY = {"home": 0.35, "external": 0.25, "channel": 0.15, "direct": 0.1, "search": 0.15}
# Shares of clicks inside the site per widget: what readers of the demo prefer.
NEXT = {"related": 0.4, "recommendation": 0.2, "ranking": 0.15, "like": 0.15, "story": 0.1}
# What an article page typically shows (discovery's list sizes).
SHOWN = {"related": 10, "like": 6, "ranking": 8, "recommendation": 8, "story": 3}
POSITION_DECAY = 0.7
ZERO_RESULT_SHARE = 0.05
MISSPELT = ["bitcoinn", "footbal", "electoin", "inflaton", "recesion", "ukrain", "goverment"]


def _pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), list(shares.values()))[0]


def _position(rng: random.Random, size: int) -> int:
    weights = [POSITION_DECAY**p for p in range(size)]
    return rng.choices(range(1, size + 1), weights)[0]


def session_analytics_record(
    *,
    rng: random.Random,
    reader_id: str,
    views: list[tuple[int, datetime]],
    titles: dict[int, str],
) -> None:
    """Record the origin, impressions and clicks of one session's views, and its searches."""
    sources = [_pick(rng, ENTRY)] + [_pick(rng, NEXT) for _ in views[1:]]
    for i, ((article_id, at), source) in enumerate(zip(views, sources, strict=True)):
        if source == "search":
            words = titles.get(article_id, "").split()[:2]
            search_query_record(query=" ".join(words), result_count=1, at=at)
        hourly.page_shown_record(
            reader_id=reader_id, article_id=article_id, source=source, shown=SHOWN, at=at
        )
        if i + 1 < len(views):
            target, next_at = views[i + 1]
            widget = sources[i + 1]
            if target != article_id:
                hourly.widget_click_record(
                    reader_id=reader_id,
                    widget=widget,
                    position=_position(rng, SHOWN[widget]),
                    article_id=article_id,
                    target_id=target,
                    at=next_at - timedelta(seconds=1),
                )
    if views and rng.random() < ZERO_RESULT_SHARE:
        search_query_record(query=rng.choice(MISSPELT), result_count=0, at=views[0][1])
