"""Click logs for `masthead evaluate`: the site's own, simulated traffic, and MIND."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from masthead.demo.traffic import TrafficArticle, traffic_sessions
from masthead.discovery.services import live_docs
from masthead.engagement.models import ReaderView
from masthead.evaluation import datasets
from masthead.evaluation.replay import Catalogue, Event
from masthead.news.tree import section_path


def site_catalogue() -> Catalogue:
    docs = live_docs()
    return Catalogue(
        ids=[d.id for d in docs],
        published=np.array([d.published_at.timestamp() for d in docs]),
        channel=[d.channel_path for d in docs],
        texts=[d.text for d in docs],
    )


def site_log() -> tuple[Catalogue, list[Event]]:
    """Recorded reader views (private readers keep no history, so they are not in it)."""
    catalogue = site_catalogue()
    events = [
        Event(at.timestamp(), reader, catalogue.index[article])
        for reader, article, at in ReaderView.objects.order_by("viewed_at", "id").values_list(
            "reader_id", "article_id", "viewed_at"
        )
        if article in catalogue.index
    ]
    return catalogue, events


def simulated_log(*, readers: int, hours: int, seed: int) -> tuple[Catalogue, list[Event]]:
    """The traffic `masthead simulate` sends, over the site's articles, without storing it."""
    catalogue = site_catalogue()
    if not catalogue.ids:
        return catalogue, []
    now = timezone.now()
    items = [
        TrafficArticle(
            article,
            section_path(catalogue.channel[i]),
            datetime.fromtimestamp(t, tz=now.tzinfo),
        )
        for i, (article, t) in enumerate(zip(catalogue.ids, catalogue.published, strict=True))
    ]
    events = []
    for session in traffic_sessions(items=items, readers=readers, hours=hours, now=now, seed=seed):
        if session.is_private:
            continue
        for article, at in session.views:
            events.append(Event(at.timestamp(), str(session.reader), catalogue.index[article]))
    events.sort(key=lambda e: e.time)
    return catalogue, events


def mind_log() -> tuple[Catalogue, list[Event]]:
    """MIND impressions: shown items, clicks, and each reader's earlier clicks."""
    impressions, news = datasets.mind()
    first_seen: dict[str, float] = {}
    for imp in impressions:
        for item in imp.history:
            first_seen.setdefault(item, imp.time - timedelta(days=1).total_seconds())
        for item in imp.shown:
            first_seen.setdefault(item, imp.time)
    ids = list(first_seen)
    channel = [next(iter(news[i].labels)) if i in news else "" for i in ids]
    catalogue = Catalogue(ids, np.array([first_seen[i] for i in ids]), channel, None)
    index = catalogue.index
    events = [
        Event(
            imp.time,
            imp.user,
            -1,
            [index[i] for i in imp.shown],
            {index[i] for i in imp.clicked},
            [index[i] for i in imp.history],
        )
        for imp in impressions
    ]
    return catalogue, events
