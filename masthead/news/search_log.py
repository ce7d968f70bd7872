"""Anonymous hourly counts of search queries: which were asked, and which found nothing.

Nothing about the reader is stored, only the normalised query text (its search terms, lower
case) with a count per hour; identical questions asked in one hour share one row.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection, models
from django.utils import timezone

MAX_QUERY = 100
# The words search matches on (search.WORD); not imported, as models.py imports this module.
WORD = re.compile(r"\w+", re.UNICODE)


class SearchQueryHour(models.Model):
    """One normalised query in one hour: how often it was asked and how often it found nothing."""

    hour = models.DateTimeField()
    query = models.CharField(max_length=MAX_QUERY)
    search_count = models.BigIntegerField(default=0)
    zero_result_count = models.BigIntegerField(default=0)

    class Meta:
        app_label = "news"
        constraints = [
            models.UniqueConstraint(fields=["hour", "query"], name="one_query_row_per_hour")
        ]


def query_normalise(query: str) -> str:
    """The query's words in lower case, single-spaced, cut to MAX_QUERY characters."""
    return " ".join(WORD.findall(query.lower()))[:MAX_QUERY].strip()


def search_query_record(*, query: str, result_count: int, at: datetime | None = None) -> None:
    """Count one search (first results page only; callers skip later pages)."""
    text = query_normalise(query)
    if not text:
        return
    hour = (at or timezone.now()).replace(minute=0, second=0, microsecond=0)
    table = SearchQueryHour._meta.db_table
    # On PostgreSQL a count is not worth waiting for the disk: the statement's own transaction
    # commits without waiting for its WAL flush (a crash may lose the last fraction of a second
    # of counts, never corrupt them). Waiting was the longest statement of a search on a busy
    # machine; set in the statement itself, it costs no extra round trip.
    source = (
        " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS c"
        if connection.vendor == "postgresql"
        else ""
    )
    sql = (
        f"INSERT INTO {table} (hour, query, search_count, zero_result_count) "  # noqa: S608
        f"SELECT %s, %s, 1, %s{source} WHERE true ON CONFLICT (hour, query) DO UPDATE SET "
        f"search_count = {table}.search_count + 1, "
        f"zero_result_count = {table}.zero_result_count + excluded.zero_result_count"
    )
    params = [connection.ops.adapt_datetimefield_value(hour), text, int(result_count == 0)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
