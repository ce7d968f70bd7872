"""Rate limits shared by every worker and surviving a restart.

The embedded default keeps them in SQL (one row per limited key), the scale configuration in
Redis (one key each, expiring by itself); never in a worker's memory, where two workers would
double every limit. Each limit is a generic cell rate algorithm (GCRA): a rate "N/period" allows
up to N at once, then one more every period/N, and is one atomic statement per check.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection

from masthead.engagement.models import RateLimit

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def interval(self) -> float:
        return self.seconds / self.count

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "30/m", "20/h", "1/2m" (one per two minutes)."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*", text)
        if not match or int(match[1]) < 1:
            raise ValueError(f"a rate is 'count/period' with period s, m, h or d, not {text!r}")
        return cls(int(match[1]), int(match[2] or 1) * PERIODS[match[3]])


def limit_key(*parts: object) -> str:
    """A fixed-length key for any identifying parts (an address, a user agent, a reader id)."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=24).hexdigest()


class SqlLimiter:
    name = "sql"

    def take(self, key: str, rate: Rate, now: float) -> float:
        table = RateLimit._meta.db_table
        greatest = "MAX" if connection.vendor == "sqlite" else "GREATEST"
        step, tolerance = rate.interval, rate.seconds
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (key, tat) VALUES (%s, %s) "  # noqa: S608
                f"ON CONFLICT (key) DO UPDATE SET tat = {greatest}({table}.tat, %s) + %s "
                f"WHERE {greatest}({table}.tat, %s) + %s - %s <= %s",
                [key, now + step, now, step, now, step, now, tolerance],
            )
            if cursor.rowcount:
                return 0.0
            cursor.execute(f"SELECT tat FROM {table} WHERE key = %s", [key])  # noqa: S608
            row = cursor.fetchone()
        return max(0.001, (row[0] if row else now) + step - tolerance - now)

    def purge(self, now: float) -> int:
        return RateLimit.objects.filter(tat__lt=now).delete()[0]


# KEYS[1]: the limit; ARGV: now, interval, tolerance. Returns "0" when allowed, else the wait.
GCRA = """
local now, step, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or ARGV[1]), now) + step
if tat - now > tolerance then return tostring(tat - tolerance - now) end
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000))
return '0'
"""


class RedisLimiter:
    name = "redis"
    PREFIX = "masthead:limit:"

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.script = self.redis.register_script(GCRA)

    def take(self, key: str, rate: Rate, now: float) -> float:
        wait = float(self.script(keys=[self.PREFIX + key], args=[now, rate.interval, rate.seconds]))
        return max(0.001, wait) if wait > 0 else 0.0

    def purge(self, now: float) -> int:
        return 0  # Redis expires the keys itself


@cache
def limiter() -> SqlLimiter | RedisLimiter:
    """Redis when REDIS_URL is set, SQL otherwise (the same choice as the counters)."""
    if settings.REDIS_URL:
        return RedisLimiter(settings.REDIS_URL)
    return SqlLimiter()


def limit_take(*, key: str, rate: str | Rate, now: float | None = None) -> float:
    """Spend one unit of `key`'s budget: 0.0 when allowed, else the seconds to wait."""
    rate = rate if isinstance(rate, Rate) else Rate.parse(rate)
    return limiter().take(key, rate, time.time() if now is None else now)


def limits_purge(*, now: float | None = None) -> int:
    """Delete spent limits (SQL backend); run with the hourly history purge."""
    return limiter().purge(time.time() if now is None else now)
