"""Counters behind one interface, with two backends.

SQL (the embedded default, SQLite or PostgreSQL): a view costs one transaction of two small
writes before the beacon is answered: the de-duplication mark and a queued row. `flush()` (run
every few seconds by `masthead run_periodic`, or `masthead flush_events`) moves queued rows into
the totals, hourly activity and history in batches, deleting them in the same transaction, so
an acknowledged view is durable at once and counted exactly once.

Redis (when REDIS_URL is set): a view costs one round trip on the request thread: the
de-duplication mark and a queue entry. `flush()` moves queued views into SQL in batches; each
batch is claimed atomically and recorded as applied in the same SQL transaction that applies
it, so a flusher killed at any point neither loses nor double-counts a view. If Redis itself is
lost, the views queued since the last flush (at most a few seconds' worth) are lost.

On both, totals and Ranking show a view after the next flush (within `flush_events`' period).

Ranking reads neither backend's events: `activity_add` keeps one forward-decayed sum per
article, window and scope (`RankingScore`), so a list is one indexed ORDER BY ... LIMIT.

Reactions are written to SQL by the request on both backends: SQL is their source of truth.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from masthead.engagement import ranking
from masthead.engagement.models import (
    AppliedBatch,
    ArticleActivity,
    ArticleCounter,
    QueuedView,
    RankingClock,
    RankingScore,
    ReaderView,
    SeenEvent,
)
from masthead.news.models import ArticlePage
from masthead.news.tree import home_and_channel_paths

VIEW = "view"


@dataclass(frozen=True)
class ViewEvent:
    article_id: int
    path: str
    reader_id: str
    is_private: bool
    at: datetime


def seen_key(*parts: object) -> str:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=20).hexdigest()


def scopes(path: str) -> list[str]:
    """Tree paths whose rankings include an article at `path`: the site's and each channel's."""
    return home_and_channel_paths(path)


def increments_upsert(
    table: str,
    key_columns: list[str],
    rows: Mapping[tuple, Sequence[int]],
    columns: list[str],
    conflict: list[str] | None = None,
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE adding the given amounts, one statement per row batch
    (same SQL on SQLite and PostgreSQL). `conflict`: the unique key (default: `key_columns`)."""
    if not rows:
        return
    names = [*key_columns, *columns]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(conflict or key_columns)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [_db_values(*key, *amounts) for key, amounts in rows.items()])


def _db_values(*values: object) -> tuple:
    """Parameters for raw SQL, datetimes in the form the ORM stores them on this database."""
    adapt = connection.ops.adapt_datetimefield_value
    return tuple(adapt(v) if isinstance(v, datetime) else v for v in values)


def counters_add(*, deltas: dict[tuple[int, str], int]) -> None:
    """Add to the exact totals, keyed by (article id, counter name)."""
    increments_upsert(
        ArticleCounter._meta.db_table,
        ["article_id", "name"],
        {key: [amount] for key, amount in deltas.items()},
        ["count"],
    )


def activity_add(*, rows: dict[tuple[int, datetime, str], tuple[int, int]]) -> None:
    """Add (views, reactions) to hourly activity, keyed by (article id, hour, article path),
    and to the Ranking sums of every window and scope the hour is still in."""
    increments_upsert(
        ArticleActivity._meta.db_table,
        ["article_id", "hour", "path"],
        rows,
        ["view_count", "reaction_count"],
        conflict=["article_id", "hour"],
    )
    ranking_scores_add(rows=rows)


WINDOW_NAMES = {span: name for name, span in ranking.WINDOWS.items()}


def _ranking_clocks(*, first_hour: datetime, last_hour: datetime) -> dict[str, RankingClock]:
    """Each window's clock, its landmark close enough to `last_hour` for floats; a new one
    counts from the window ending at `first_hour`."""
    clocks = {clock.window_name: clock for clock in RankingClock.objects.all()}
    for name, span in ranking.WINDOWS.items():
        if name not in clocks:
            clocks[name], _ = RankingClock.objects.get_or_create(
                window_name=name,
                defaults={
                    "landmark": first_hour,
                    "expired_before": ranking.first_hour_in(window=span, now=first_hour),
                },
            )
        if ranking.needs_rescale(window=span, landmark=clocks[name].landmark, now=last_hour):
            with transaction.atomic():
                clock = RankingClock.objects.select_for_update().get(window_name=name)
                _ranking_rescale(clock, window=span, now=last_hour)
                clocks[name] = clock
    return clocks


def _ranking_rescale(clock: RankingClock, *, window: timedelta, now: datetime) -> None:
    """Move the window's landmark to `now`'s hour, scaling the stored sums to match."""
    if not ranking.needs_rescale(window=window, landmark=clock.landmark, now=now):
        return
    landmark = ranking.hour_start(now)
    factor = ranking.decay_factor(window=window, landmark=clock.landmark, now=landmark)
    RankingScore.objects.filter(window_name=clock.window_name).update(score=F("score") * factor)
    clock.landmark = landmark
    clock.save(update_fields=["landmark"])


def ranking_scores_add(*, rows: dict[tuple[int, datetime, str], tuple[int, int]]) -> None:
    """Add hourly (views, reactions) to the forward-decayed sums of every window and scope."""
    if not rows:
        return
    hours = [hour for _, hour, _ in rows]
    clocks = _ranking_clocks(first_hour=min(hours), last_hour=max(hours))
    values = []
    for (article_id, hour, path), (views, reactions) in rows.items():
        amount = ranking.activity_score(views=views, reactions=reactions)
        for name, span in ranking.WINDOWS.items():
            clock = clocks[name]
            if not amount or hour < clock.expired_before:
                continue  # a late event for an hour this window has already let go
            score = amount * ranking.bucket_weight(hour=hour, window=span, landmark=clock.landmark)
            values += [_db_values(name, scope, article_id, score, hour) for scope in scopes(path)]
    table = RankingScore._meta.db_table
    sql = (
        f"INSERT INTO {table} (window_name, scope, article_id, score, last_hour) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (window_name, scope, article_id) DO UPDATE "
        f"SET score = {table}.score + excluded.score, last_hour = CASE WHEN "
        f"excluded.last_hour > {table}.last_hour THEN excluded.last_hour "
        f"ELSE {table}.last_hour END"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def ranking_expire(*, window: timedelta, now: datetime) -> None:
    """Subtract the hourly buckets that have left the window by `now` (and rescale the sums
    when the landmark is far behind). Idempotent; concurrent callers wait for each other."""
    name = WINDOW_NAMES[window]
    start = ranking.first_hour_in(window=window, now=now)
    with transaction.atomic():
        clock = RankingClock.objects.select_for_update().filter(window_name=name).first()
        if clock is None or start <= clock.expired_before:
            return
        scores = RankingScore.objects.filter(window_name=name)
        scores.filter(last_hour__lt=start).delete()  # nothing of theirs is left in the window
        leaving = ArticleActivity.objects.filter(
            hour__gte=clock.expired_before,
            hour__lt=start,
            article_id__in=scores.values("article_id"),
        ).values_list("article_id", "hour", "path", "view_count", "reaction_count")
        updates = []
        for article_id, hour, path, views, reactions in leaving.iterator(chunk_size=5000):
            amount = ranking.activity_score(views=views, reactions=reactions)
            score = amount * ranking.bucket_weight(
                hour=hour, window=window, landmark=clock.landmark
            )
            updates += [(score, name, scope, article_id) for scope in scopes(path)]
        table = RankingScore._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET score = score - %s "  # noqa: S608
                "WHERE window_name = %s AND scope = %s AND article_id = %s",
                updates,
            )
        clock.expired_before = start
        clock.save(update_fields=["expired_before"])
        _ranking_rescale(clock, window=window, now=now)


def ranking_scores_top(
    *, window: timedelta, prefix: str, now: datetime, limit: int
) -> list[tuple[int, float]]:
    """The best `limit` (article id, score at `now`) of one list: after bringing the window up
    to `now`, one indexed ORDER BY ... LIMIT, whatever the size of the corpus or the history."""
    ranking_expire(window=window, now=now)
    clock = RankingClock.objects.filter(window_name=WINDOW_NAMES[window]).first()
    if clock is None:
        return []
    oldest = ranking.bucket_weight(
        hour=ranking.first_hour_in(window=window, now=now), window=window, landmark=clock.landmark
    )
    factor = ranking.decay_factor(window=window, landmark=clock.landmark, now=now)
    rows = (
        RankingScore.objects.filter(
            window_name=WINDOW_NAMES[window],
            scope=prefix,
            # Less than a millionth of one view in the window's oldest hour is what subtracting
            # a bucket leaves behind in floating point, not a reader.
            score__gt=oldest * 1e-6,
        )
        .order_by("-score", "-article_id")
        .values_list("article_id", "score")[:limit]
    )
    return [(article_id, score * factor) for article_id, score in rows]


def ranking_scores_rebuild(*, now: datetime) -> int:
    """Recompute every Ranking sum from hourly activity (after an upgrade, or to check the
    incremental sums); returns the hourly rows replayed."""
    longest = max(ranking.WINDOWS.values())
    since = ranking.first_hour_in(window=longest, now=now)
    replayed = 0
    with transaction.atomic():
        RankingScore.objects.all().delete()
        RankingClock.objects.all().delete()
        for name, span in ranking.WINDOWS.items():
            RankingClock.objects.create(
                window_name=name,
                landmark=ranking.hour_start(now),
                expired_before=ranking.first_hour_in(window=span, now=now),
            )
        rows = ArticleActivity.objects.filter(hour__gte=since).values_list(
            "article_id", "hour", "path", "view_count", "reaction_count"
        )
        batch: dict[tuple[int, datetime, str], tuple[int, int]] = {}
        for article_id, hour, path, views, reactions in rows.iterator(chunk_size=5000):
            batch[(article_id, hour, path)] = (views, reactions)
            if len(batch) == 5000:
                ranking_scores_add(rows=batch)
                replayed, batch = replayed + len(batch), {}
        ranking_scores_add(rows=batch)
    return replayed + len(batch)


def apply_views(events: list[ViewEvent]) -> None:
    """Write views to SQL: totals, hourly activity and (for non-private readers) history. Views
    of articles deleted since they were queued are dropped."""
    ids = {e.article_id for e in events}
    existing = set(ArticlePage.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if existing != ids:
        events = [e for e in events if e.article_id in existing]
    totals = Counter((e.article_id, VIEW) for e in events)
    hourly = Counter((e.article_id, ranking.hour_start(e.at), e.path) for e in events)
    counters_add(deltas=dict(totals))
    activity_add(rows={key: (n, 0) for key, n in hourly.items()})
    ReaderView.objects.bulk_create(
        [
            ReaderView(reader_id=e.reader_id, article_id=e.article_id, viewed_at=e.at)
            for e in events
            if not e.is_private
        ],
        batch_size=500,
    )


class SqlCounters:
    name = "sql"

    def record_view(self, event: ViewEvent) -> bool:
        """Count the view unless this reader viewed this article within the de-duplication
        window: the mark and the queued view are written in one transaction."""
        expires = event.at + timedelta(seconds=settings.MASTHEAD_VIEW_DEDUP_SECONDS)
        seen, queue = SeenEvent._meta.db_table, QueuedView._meta.db_table
        # No savepoint: inside a beacon's transaction (`beacon_transaction`) it would cost two
        # statements and protect nothing the outer transaction does not.
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {seen} (key, expires_at) VALUES (%s, %s) "  # noqa: S608
                f"ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at "
                f"WHERE {seen}.expires_at <= %s",
                _db_values(seen_key(event.reader_id, event.article_id), expires, event.at),
            )
            if cursor.rowcount == 0:
                return False
            cursor.execute(
                f"INSERT INTO {queue} (article_id, path, reader_id, is_private, at) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                _db_values(
                    event.article_id, event.path, event.reader_id, event.is_private, event.at
                ),
            )
        return True

    def note_reaction(self, *, article_id: int, path: str, delta: int, at: datetime) -> None:
        """Reactions are in SQL already; nothing more to do."""

    def flush(self, *, batch_size: int = 1000) -> int:
        """Move queued views into SQL, a batch per transaction that also deletes them (so a
        flusher killed at any point neither loses nor double-counts a view); returns how many
        were applied. Concurrent flushers take different rows (PostgreSQL) or wait for each
        other (SQLite's single writer)."""
        applied = 0
        while True:
            with transaction.atomic():
                rows = QueuedView.objects.order_by("id")
                if connection.features.has_select_for_update_skip_locked:
                    rows = rows.select_for_update(skip_locked=True)
                batch = list(
                    rows.values_list("id", "article_id", "path", "reader_id", "is_private", "at")[
                        :batch_size
                    ]
                )
                if not batch:
                    return applied
                QueuedView.objects.filter(id__in=[row[0] for row in batch]).delete()
                apply_views([ViewEvent(*row[1:]) for row in batch])
            applied += len(batch)

    def pending(self) -> int:
        return QueuedView.objects.count()

    def top(
        self, *, window: timedelta, prefix: str, now: datetime, limit: int
    ) -> list[tuple[int, float]]:
        return ranking_scores_top(window=window, prefix=prefix, now=now, limit=limit)

    def forget_seen(self, *, before: datetime) -> int:
        return SeenEvent.objects.filter(expires_at__lt=before).delete()[0]


# Moves up to ARGV[1] queued events to a claimed batch, atomically, unless one is already claimed.
CLAIM = """
local batch = redis.call('GET', KEYS[3])
if batch then return {batch, redis.call('LRANGE', KEYS[2], 0, -1)} end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return {false, {}} end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
redis.call('SET', KEYS[3], ARGV[2])
return {ARGV[2], items}
"""


# One round trip per view: unless an earlier mark still covers the event's own time (ARGV[1]),
# mark the reader's view of the article as seen until ARGV[2] and queue the event (ARGV[4]);
# returns 1 when the view counts. Comparing event times, not Redis's clock, keeps replays of
# past traffic de-duplicated correctly. Ranking follows at the flush (its sums are in SQL).
RECORD_VIEW = """
local mark = redis.call('GET', KEYS[1])
if mark and tonumber(mark) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
return 1
"""


class RedisCounters:
    name = "redis"
    QUEUE = "masthead:events:queue"
    CLAIMED = "masthead:events:claimed"
    CLAIMED_ID = "masthead:events:claimed-id"

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.claim = self.redis.register_script(CLAIM)
        self.record = self.redis.register_script(RECORD_VIEW)

    def record_view(self, event: ViewEvent) -> bool:
        window = settings.MASTHEAD_VIEW_DEDUP_SECONDS
        payload = json.dumps({**asdict(event), "at": event.at.isoformat()})
        counted = self.record(
            keys=[f"masthead:seen:{seen_key(event.reader_id, event.article_id)}", self.QUEUE],
            args=[event.at.timestamp(), event.at.timestamp() + window, window, payload],
        )
        return bool(counted)

    def note_reaction(self, *, article_id: int, path: str, delta: int, at: datetime) -> None:
        """Reactions are in SQL already, Ranking's sums with them; nothing more to do."""

    def flush(self, *, batch_size: int = 1000) -> int:
        """Move queued views into SQL, one claimed batch at a time; returns how many were applied."""
        applied = 0
        while True:
            batch_id, items = self.claim(
                keys=[self.QUEUE, self.CLAIMED, self.CLAIMED_ID],
                args=[batch_size, uuid.uuid4().hex],
            )
            if not batch_id:
                return applied
            batch_id = batch_id.decode()
            events = [_view_from_json(item) for item in items]
            with transaction.atomic():
                _, created = AppliedBatch.objects.get_or_create(batch_id=batch_id)
                if created:  # a retried batch whose first attempt committed is not applied twice
                    apply_views(events)
                    applied += len(events)
            self.redis.delete(self.CLAIMED, self.CLAIMED_ID)

    def pending(self) -> int:
        return self.redis.llen(self.QUEUE) + self.redis.llen(self.CLAIMED)

    def top(
        self, *, window: timedelta, prefix: str, now: datetime, limit: int
    ) -> list[tuple[int, float]]:
        return ranking_scores_top(window=window, prefix=prefix, now=now, limit=limit)

    def forget_seen(self, *, before: datetime) -> int:
        return 0  # Redis expires its marks itself


def _view_from_json(item: bytes) -> ViewEvent:
    data = json.loads(item)
    return ViewEvent(**{**data, "at": datetime.fromisoformat(data["at"])})


@cache
def backend() -> SqlCounters | RedisCounters:
    """The configured backend: Redis when REDIS_URL is set, SQL otherwise."""
    if settings.REDIS_URL:
        return RedisCounters(settings.REDIS_URL)
    return SqlCounters()
