"""Counters behind one interface, with two backends.

SQL (the embedded default, SQLite or PostgreSQL): a view is written in its own transaction
(de-duplication mark, total, hourly activity, history) before the beacon is answered.

Redis (when REDIS_URL is set): a view costs one round trip on the request thread: the
de-duplication mark, the hourly ranking sorted sets and a queue entry. `flush()` (run every few
seconds by `masthead run_periodic`, or `masthead flush_events`) moves queued views into SQL in
batches; each batch is claimed atomically and recorded as applied in the same SQL transaction
that applies it, so a flusher killed at any point neither loses nor double-counts a view. If
Redis itself is lost, the views queued since the last flush (at most a few seconds' worth) are
lost, and ranking sorted sets are rebuilt from SQL with `masthead rebuild_ranking`.

Reactions are written to SQL by the request on both backends: SQL is their source of truth.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Sum, Value, When

from masthead.engagement import ranking
from masthead.engagement.models import (
    AppliedBatch,
    ArticleActivity,
    ArticleCounter,
    ReaderView,
    SeenEvent,
)
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


def _upsert_increments(
    table: str, key_columns: list[str], rows: dict[tuple, list[int]], columns: list[str]
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE adding the given amounts (same SQL on SQLite and PostgreSQL)."""
    if not rows:
        return
    names = [*key_columns, *columns]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(key_columns[:2])}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [_db_values(*key, *amounts) for key, amounts in rows.items()])


def _db_values(*values: object) -> tuple:
    """Parameters for raw SQL, datetimes in the form the ORM stores them on this database."""
    adapt = connection.ops.adapt_datetimefield_value
    return tuple(adapt(v) if isinstance(v, datetime) else v for v in values)


def counters_add(*, deltas: dict[tuple[int, str], int]) -> None:
    """Add to the exact totals, keyed by (article id, counter name)."""
    _upsert_increments(
        ArticleCounter._meta.db_table,
        ["article_id", "name"],
        {key: [amount] for key, amount in deltas.items()},
        ["count"],
    )


def activity_add(*, rows: dict[tuple[int, datetime, str], tuple[int, int]]) -> None:
    """Add (views, reactions) to hourly activity, keyed by (article id, hour, article path)."""
    _upsert_increments(
        ArticleActivity._meta.db_table,
        ["article_id", "hour", "path"],
        {key: list(amounts) for key, amounts in rows.items()},
        ["view_count", "reaction_count"],
    )


def apply_views(events: list[ViewEvent]) -> None:
    """Write views to SQL: totals, hourly activity and (for non-private readers) history."""
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


def _sql_top(
    *, window: timedelta, prefix: str, now: datetime, limit: int
) -> list[tuple[int, float]]:
    weights = ranking.hour_weights(window=window, now=now)
    weight = Case(
        *[When(hour=hour, then=Value(w)) for hour, w in weights.items()], output_field=FloatField()
    )
    rows = (
        ArticleActivity.objects.filter(hour__in=list(weights), path__startswith=prefix)
        .values("article_id")
        .annotate(
            score=Sum(
                (F("view_count") + ranking.REACTION_WEIGHT * F("reaction_count")) * weight,
                output_field=FloatField(),
            )
        )
        .filter(score__gt=0)
        .order_by("-score", "-article_id")[:limit]
    )
    return [(row["article_id"], row["score"]) for row in rows]


class SqlCounters:
    name = "sql"

    def record_view(self, event: ViewEvent) -> bool:
        """Count the view unless this reader viewed this article within the de-duplication window."""
        expires = event.at + timedelta(seconds=settings.MASTHEAD_VIEW_DEDUP_SECONDS)
        table = SeenEvent._meta.db_table
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (key, expires_at) VALUES (%s, %s) "  # noqa: S608
                    f"ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at "
                    f"WHERE {table}.expires_at <= %s",
                    _db_values(seen_key(event.reader_id, event.article_id), expires, event.at),
                )
                if cursor.rowcount == 0:
                    return False
            apply_views([event])
        return True

    def note_reaction(self, *, article_id: int, path: str, delta: int, at: datetime) -> None:
        """Reactions are in SQL already; nothing more to do."""

    def flush(self, *, batch_size: int = 1000) -> int:
        return 0

    def top(
        self, *, window: timedelta, prefix: str, now: datetime, limit: int
    ) -> list[tuple[int, float]]:
        return _sql_top(window=window, prefix=prefix, now=now, limit=limit)

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
# mark the reader's view of the article as seen until ARGV[2], queue the event (ARGV[4]) and add
# it to the hourly ranking sets (KEYS[3..]); returns 1 when the view counts. Comparing event
# times, not Redis's clock, keeps replays of past traffic de-duplicated correctly.
RECORD_VIEW = """
local mark = redis.call('GET', KEYS[1])
if mark and tonumber(mark) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
for i = 3, #KEYS do
  redis.call('ZINCRBY', KEYS[i], 1, ARGV[5])
  redis.call('EXPIRE', KEYS[i], ARGV[6])
end
return 1
"""


class RedisCounters:
    name = "redis"
    QUEUE = "masthead:events:queue"
    CLAIMED = "masthead:events:claimed"
    CLAIMED_ID = "masthead:events:claimed-id"
    RANK_TTL = 8 * 24 * 3600

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.claim = self.redis.register_script(CLAIM)
        self.record = self.redis.register_script(RECORD_VIEW)

    @staticmethod
    def rank_key(prefix: str, hour: datetime) -> str:
        return f"masthead:rank:{prefix}:{hour:%Y%m%d%H}"

    def _rank(self, pipe, *, path: str, hour: datetime, amount: float, article_id: int) -> None:
        for prefix in scopes(path):
            key = self.rank_key(prefix, hour)
            pipe.zincrby(key, amount, article_id)
            pipe.expire(key, self.RANK_TTL)

    def record_view(self, event: ViewEvent) -> bool:
        window = settings.MASTHEAD_VIEW_DEDUP_SECONDS
        hour = ranking.hour_start(event.at)
        payload = json.dumps({**asdict(event), "at": event.at.isoformat()})
        counted = self.record(
            keys=[
                f"masthead:seen:{seen_key(event.reader_id, event.article_id)}",
                self.QUEUE,
                *(self.rank_key(prefix, hour) for prefix in scopes(event.path)),
            ],
            args=[
                event.at.timestamp(),
                event.at.timestamp() + window,
                window,
                payload,
                event.article_id,
                self.RANK_TTL,
            ],
        )
        return bool(counted)

    def note_reaction(self, *, article_id: int, path: str, delta: int, at: datetime) -> None:
        pipe = self.redis.pipeline(transaction=True)
        self._rank(
            pipe,
            path=path,
            hour=ranking.hour_start(at),
            amount=ranking.REACTION_WEIGHT * delta,
            article_id=article_id,
        )
        pipe.execute()

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
        weights = {
            self.rank_key(prefix, hour): w
            for hour, w in ranking.hour_weights(window=window, now=now).items()
        }
        target = f"masthead:rank-union:{uuid.uuid4().hex}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.zunionstore(target, weights)
        pipe.zrevrangebyscore(target, "+inf", "(0", start=0, num=limit, withscores=True)
        pipe.delete(target)
        _, rows, _ = pipe.execute()
        return [(int(member), score) for member, score in rows]

    def rebuild_ranking(self, *, since: datetime) -> None:
        """Refill the ranking sorted sets from SQL's hourly activity (after losing Redis)."""
        pipe = self.redis.pipeline(transaction=False)
        for row in ArticleActivity.objects.filter(hour__gte=since).iterator(chunk_size=5000):
            score = ranking.activity_score(views=row.view_count, reactions=row.reaction_count)
            for prefix in scopes(row.path):
                pipe.zadd(self.rank_key(prefix, row.hour), {str(row.article_id): score})
                pipe.expire(self.rank_key(prefix, row.hour), self.RANK_TTL)
        pipe.execute()

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
