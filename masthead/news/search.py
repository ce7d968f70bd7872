"""Article search straight against the full-text index that Wagtail's search backend maintains.

Wagtail keeps the index (wagtailsearch_indexentry and, on SQLite, its FTS5 table) up to date on
publish; we only query it. Its own query builder ranks by a correlated subquery that re-runs the
text match for every matching row (seconds per query at 10,000 articles), so we issue one SQL
statement per page of results instead: the text match, the live/channel filters and the
ordering together, using FTS5's bm25() on SQLite and ts_rank() over the GIN-indexed tsvectors
on PostgreSQL. Title hits weigh ten times body hits; newer articles win ties. Results are stories:
the copies of one story (news.StoryEntry) collapse into its lead copy, ranked by the best match. Other databases
(and OpenSearch/Elasticsearch backends) go through Wagtail's backend unchanged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from masthead.news import models, selectors
from masthead.news.cache import ALL, SEARCH, cached_with_keys, keys_record
from masthead.news.models import StoryEntry

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
ORDERS = ("relevance", "newest")
TITLE_WEIGHT = 10.0
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchRequest:
    query: str
    order: str = "relevance"
    channel: Page | None = None

    @property
    def terms(self) -> list[str]:
        return WORD.findall(self.query.lower())[:MAX_TERMS]


# Counting stops here: past it a search reads "more than 1,000 results" (an exact count would
# visit every match of a common word on every request).
COUNT_CAP = 1000
# Relevance pages rank this many best-scoring matches per result wanted, then group them.
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 200
T = TypeVar("T")


class ArticleSearchResults:
    """Live articles matching every term of a query, one per story, paged lazily (what
    Paginator needs).

    A relevance page ranks the text index alone, takes the best-scoring matches as candidates
    and only joins those to pages and stories. A story ranks by its best copy, so every story
    with a copy among the candidates has its best copy there too, and a story without one ranks
    below all of them: the page holds the stories a full ranking would (only stories whose best
    copies score exactly the same may swap places, even across pages, as their newest copy may
    not be a candidate). When filters or grouping leave too few stories for the page, the candidate set
    grows until the matches run out. The count is exact up to COUNT_CAP (`is_capped` says when
    there are more). Counts and pages (story ids) are cached until an article is published,
    edited, unpublished, moved or regrouped (the SEARCH key), or MASTHEAD_SEARCH_CACHE_SECONDS.
    """

    def __init__(self, request: SearchRequest):
        self.request = request
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._cached("count", self._count_run)
        return min(self._count, COUNT_CAP)

    def _count_run(self) -> int:
        sql, params = self._count_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return min(cursor.fetchone()[0], COUNT_CAP + 1)

    def _cached(self, part: str, build: Callable[[], T]) -> T:
        """`build()` cached for this query, order and channel until the SEARCH key is purged."""
        seconds = settings.MASTHEAD_SEARCH_CACHE_SECONDS
        if seconds <= 0:
            return build()
        channel = self.request.channel.pk if self.request.channel is not None else ""
        raw = f"{part}|{self.request.order}|{channel}|{' '.join(self.request.terms)}"
        name = f"search:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"

        def built() -> T:
            keys_record(SEARCH, ALL)
            return build()

        return cached_with_keys(name, built, timeout=seconds)

    @property
    def is_capped(self) -> bool:
        self.count()
        return bool(self._count and self._count > COUNT_CAP)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        ids = self._cached(
            f"page:{start}:{stop}", lambda: self._story_ids(limit=stop - start, offset=start)
        )
        by_id = selectors.story_leads(selectors.article_list_latest()).in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def _story_ids(self, *, limit: int, offset: int) -> list[int]:
        wanted = offset + limit
        candidates = (
            max(MIN_CANDIDATES, wanted * CANDIDATES_PER_RESULT)
            if self.request.order == "relevance"
            else None
        )
        while True:
            sql, params = self._sql(limit=limit, offset=offset, candidates=candidates)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                ids = [row[0] for row in cursor.fetchall()]
            # Enough stories for the page, or every match was a candidate: the page is exact.
            if candidates is None or len(ids) == limit:
                return ids
            if self._candidate_count(candidates) < candidates:
                return ids
            candidates *= 4
            if candidates > COUNT_CAP * CANDIDATES_PER_RESULT:
                candidates = None  # rank every match

    def _candidate_count(self, candidates: int) -> int:
        match, params = self._match()
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {match} LIMIT %s) AS c"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, candidates])
            return cursor.fetchone()[0]

    def _match(self) -> tuple[str, list]:
        """FROM/WHERE of the bare text match over the index, and its parameters."""
        entry = IndexEntry._meta.db_table
        if connection.vendor == "sqlite":
            terms = " AND ".join(f'"{term}"' for term in self.request.terms)
            return f"{entry}_fts WHERE {entry}_fts MATCH %s", [terms]
        return f"{entry} AS e WHERE (e.title || e.body) @@ plainto_tsquery(%s)", [
            " ".join(self.request.terms)
        ]

    def _ranked(self, candidates: int | None) -> tuple[str, list, str]:
        """A subquery of (id, score) for matching index entries, the best `candidates` of them
        (all when None); its parameters; and the direction that puts the best first."""
        entry = IndexEntry._meta.db_table
        match, params = self._match()
        if connection.vendor == "sqlite":
            # Columns of the FTS table: autocomplete, body, title. bm25() is negative.
            score = f"bm25({entry}_fts, 0.0, 1.0, {TITLE_WEIGHT})"
            best_first, rowid = "ASC", "rowid"
            text_params: list = []
        else:
            # A term may hit the title and another the body; the index on (title || body) is
            # created by news migration 0003.
            score = (
                f"(ts_rank(e.title, plainto_tsquery(%s)) * {TITLE_WEIGHT}"
                " + ts_rank(e.body, plainto_tsquery(%s)))"
            )
            best_first, rowid = "DESC", "e.id"
            text_params = [params[0], params[0]]
        sql = f"SELECT {rowid} AS id, {score} AS score FROM {match}"  # noqa: S608
        if candidates is None:
            # A LIMIT keeps SQLite from flattening the match into the grouping query, where
            # bm25() may not run.
            return (
                sql + " LIMIT -1" if connection.vendor == "sqlite" else sql,
                [
                    *text_params,
                    *params,
                ],
                best_first,
            )
        sql += f" ORDER BY score {best_first}, id DESC LIMIT %s"
        return sql, [*text_params, *params, candidates], best_first

    def _filters(self) -> tuple[str, str, list]:
        """Joins from index entries (`e`) to live articles (`p`, `a`) and their stories (`s`),
        and the WHERE clause with its parameters. CROSS JOIN pins SQLite's join order."""
        entry = IndexEntry._meta.db_table
        join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
        joins = (
            f"{join} {entry} AS e ON e.id = m.id"
            f" {join} wagtailcore_page AS p ON p.id = CAST(e.object_id AS INTEGER)"
            f" {join} news_articlepage AS a ON a.page_ptr_id = p.id"
            f" LEFT JOIN {StoryEntry._meta.db_table} AS s ON s.article_id = p.id"
        )
        where = ["e.content_type_id = %s", "p.live"]
        params: list = [_article_content_type_id()]
        if self.request.channel is not None:
            where.append("p.path LIKE %s")
            params.append(f"{self.request.channel.path}%")
        return joins, " AND ".join(where), params

    def _sql(self, *, limit: int, offset: int, candidates: int | None = None) -> tuple[str, list]:
        """A page of story ids (the lead copy's id) out of the best `candidates` matches."""
        ranked, ranked_params, best_first = self._ranked(candidates)
        joins, where, params = self._filters()
        # A story is one result, shown by its lead copy and ranked by its best-matching copy.
        story = "COALESCE(s.lead_id, p.id)"
        best = "MIN(m.score)" if best_first == "ASC" else "MAX(m.score)"
        if self.request.order == "newest":
            order = f"MAX(a.published_at) DESC, {story} DESC"
        else:
            order = f"{best} {best_first}, MAX(a.published_at) DESC, {story} DESC"
        sql = (
            f"SELECT {story} FROM ({ranked}) AS m {joins} WHERE {where}"  # noqa: S608
            f" GROUP BY {story} ORDER BY {order} LIMIT %s OFFSET %s"
        )
        return sql, [*ranked_params, *params, limit, offset]

    def _count_sql(self) -> tuple[str, list]:
        """The number of stories matching, counted up to one past COUNT_CAP."""
        match, match_params = self._match()
        rowid = "rowid" if connection.vendor == "sqlite" else "e.id"
        joins, where, params = self._filters()
        sql = (
            f"SELECT COUNT(*) FROM (SELECT DISTINCT COALESCE(s.lead_id, p.id)"  # noqa: S608
            f" FROM (SELECT {rowid} AS id FROM {match}) AS m {joins} WHERE {where}"
            f" LIMIT %s) AS stories"
        )
        return sql, [*match_params, *params, COUNT_CAP + 1]


def _article_content_type_id() -> int:
    return ContentType.objects.get_for_model(models.ArticlePage).pk


def _uses_database_index() -> bool:
    backend = type(get_search_backend()).__module__
    return "database" in backend and connection.vendor in ("sqlite", "postgresql")


def article_search(*, request: SearchRequest):
    """Live articles matching the query, best (or newest) first; nothing for an empty query."""
    if not request.terms:
        return []
    if _uses_database_index():
        return ArticleSearchResults(request)
    articles = selectors.article_list_stories(within=request.channel)
    by_relevance = request.order == "relevance"
    articles = articles.order_by() if by_relevance else articles
    return get_search_backend().search(
        " ".join(request.terms), articles, order_by_relevance=by_relevance, operator="and"
    )
