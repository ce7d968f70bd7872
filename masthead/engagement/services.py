"""Writes of reader activity: views, widget clicks, reactions and history retention."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from masthead.engagement import budgets, counters, limits, ranking
from masthead.engagement.clients import Client
from masthead.engagement.models import Reaction, ReaderView, WidgetClick
from masthead.engagement.readers import Reader
from masthead.engagement.selectors import (
    ranking_cache_key,
    ranking_top,
    reaction_counts,
    reaction_kinds,
)
from masthead.news.cache import RANKING, keys_purge
from masthead.news.models import ArticlePage, ChannelPage, HomePage

WIDGETS = ("related", "ranking", "recommendation", "like", "story", "tags")


class UnknownArticle(Exception):
    pass


class UnknownReactionKind(Exception):
    pass


class ReaderNotEstablished(Exception):
    """A reaction from a request that carried no reader id issued by an earlier response."""


def _live_article(article_id: int) -> ArticlePage:
    article = ArticlePage.objects.live().filter(pk=article_id).only("id", "path").first()
    if article is None:
        raise UnknownArticle(article_id)
    return article


# Paths of live articles, per process, so that a beacon costs no SQL query on the Redis backend.
# An article unpublished in the last LIVE_PATH_SECONDS may still count a view or two.
LIVE_PATH_SECONDS = 60
_live_paths: dict[int, tuple[str, float]] = {}


def _live_article_path(article_id: int) -> str:
    cached = _live_paths.get(article_id)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    path = _live_article(article_id).path
    if len(_live_paths) > 100_000:
        _live_paths.clear()
    _live_paths[article_id] = (path, time.monotonic() + LIVE_PATH_SECONDS)
    return path


def live_path_forget(*, article_id: int | None = None) -> None:
    """Drop a cached live-article path (all of them without an id)."""
    if article_id is None:
        _live_paths.clear()
    else:
        _live_paths.pop(article_id, None)


def view_record(*, reader: Reader, article_id: int, at: datetime | None = None) -> bool:
    """Count a view of a live article; False if this reader's view was already counted recently."""
    event = counters.ViewEvent(
        article_id=article_id,
        path=_live_article_path(article_id),
        reader_id=reader.id,
        is_private=reader.is_private,
        at=at or timezone.now(),
    )
    return counters.backend().record_view(event)


def beacon_transaction() -> AbstractContextManager:
    """One transaction around a beacon's budget checks and its view write when both are in SQL
    (no REDIS_URL): SQLite takes its single write lock, and PostgreSQL commits, once per beacon
    instead of once for the budget and again for the view. With Redis, nothing is held."""
    if limits.limiter().name == "sql" and counters.backend().name == "sql":
        return transaction.atomic()
    return nullcontext()


def view_submit(*, reader: Reader, client: Client, article_id: int) -> bool:
    """Count a view a browser reported. An established reader counts once per article per
    window by its id. Anyone else (no cookie, or one just issued) counts under the budget of
    its network and user agent, de-duplicated by them, and leaves no history."""
    if not reader.is_new:
        return view_record(reader=reader, article_id=article_id)
    _live_article_path(article_id)  # an unknown article is a 404 whatever the budget says
    if not budgets.anonymous_view_allowed(client):
        return False
    anonymous = Reader(id=budgets.anonymous_reader_id(client), is_private=True, is_new=True)
    return view_record(reader=anonymous, article_id=article_id)


def click_record(
    *, reader: Reader, widget: str, article_id: int, target_id: int, at: datetime | None = None
) -> bool:
    """Record a click on a widget item, once per reader, article, widget and target in the window."""
    if widget not in WIDGETS:
        raise ValueError(f"unknown widget {widget!r}")
    article = _live_article(article_id)
    target = _live_article(target_id)
    at = at or timezone.now()
    key = f"click:{counters.seen_key(reader.id, widget, article.pk, target.pk)}"
    if not cache.add(key, 1, timeout=settings.MASTHEAD_VIEW_DEDUP_SECONDS):
        return False
    WidgetClick.objects.create(widget=widget, article=article, target=target, clicked_at=at)
    return True


@dataclass(frozen=True)
class ReactionState:
    kind: str
    label: str
    count: int
    active: bool


def reaction_set(
    *, reader: Reader, article_id: int, kind: str, active: bool, at: datetime | None = None
) -> ReactionState:
    """Make the reader's reaction of `kind` present (active) or absent; idempotent.

    The reaction row and the exact total change in one transaction, so an acknowledged
    reaction is durable and the count always equals the rows. Precondition: an established
    reader (a cookie minted by this very request never reacts); ReaderNotEstablished otherwise.
    """
    kinds = reaction_kinds()
    if kind not in kinds:
        raise UnknownReactionKind(kind)
    article = _live_article(article_id)
    if reader.is_new:
        raise ReaderNotEstablished
    at = at or timezone.now()
    name = f"reaction:{kind}"
    with transaction.atomic():
        if active:
            try:
                with transaction.atomic():
                    Reaction.objects.create(article=article, reader_id=reader.id, kind=kind)
                delta = 1
            except IntegrityError:
                delta = 0
        else:
            delta = -Reaction.objects.filter(
                article=article, reader_id=reader.id, kind=kind
            ).delete()[0]
        if delta:
            counters.counters_add(deltas={(article.pk, name): delta})
            counters.activity_add(
                rows={(article.pk, ranking.hour_start(at), article.path): (0, delta)}
            )
    if delta:
        counters.backend().note_reaction(
            article_id=article.pk, path=article.path, delta=delta, at=at
        )
    return ReactionState(
        kind=kind,
        label=kinds[kind],
        count=reaction_counts(article_id=article.pk)[kind],
        active=active,
    )


def history_purge(*, now: datetime | None = None) -> int:
    """Delete reader history older than the retention period, expired de-duplication marks and
    spent rate limits."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MASTHEAD_HISTORY_RETENTION_DAYS)
    deleted = ReaderView.objects.filter(viewed_at__lt=cutoff).delete()[0]
    counters.backend().forget_seen(before=now)
    limits.limits_purge(now=now.timestamp())
    return deleted


def ranking_refresh() -> int:
    """Recompute every Ranking list (site-wide and each channel, every window) into the cache.

    Run every MASTHEAD_RANKING_CACHE_SECONDS by `masthead run_periodic`; lists live three
    periods, so pages keep being served from the cache if one refresh is late.
    """
    scopes = [*HomePage.objects.live(), *ChannelPage.objects.live()]
    for page in scopes:
        for window in ranking.WINDOWS:
            top = ranking_top(window=window, within_path=page.path)
            key = ranking_cache_key(window=window, within_path=page.path)
            cache.set(key, top, timeout=3 * settings.MASTHEAD_RANKING_CACHE_SECONDS)
    keys_purge([RANKING])  # the widgets showing the lists as they were
    return len(scopes)
