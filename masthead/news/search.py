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

import re
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from masthead.news import models, selectors
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


class ArticleSearchResults:
    """Live articles matching every term of a query, paged lazily (what Paginator needs)."""

    def __init__(self, request: SearchRequest):
        self.request = request
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            sql, params = self._sql(count=True)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        sql, params = self._sql(limit=stop - start, offset=start)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        by_id = selectors.story_leads(selectors.article_list_latest()).in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def _sql(self, *, count: bool = False, limit: int = 0, offset: int = 0) -> tuple[str, list]:
        entry = IndexEntry._meta.db_table
        if connection.vendor == "sqlite":
            match = f"{entry}_fts MATCH %s"
            match_params = [" AND ".join(f'"{term}"' for term in self.request.terms)]
            # CROSS JOIN pins SQLite's join order: text match first, then primary-key lookups.
            # Left to itself the planner walks every index entry and probes FTS per row (100x).
            join = "CROSS JOIN"
            source = f"{entry}_fts AS fts {join} {entry} AS e ON e.id = fts.rowid"
            # Columns of the FTS table: autocomplete, body, title.
            score = f"bm25({entry}_fts, 0.0, 1.0, {TITLE_WEIGHT})"
            score_params: list = []
            best_first = "ASC"  # bm25() is negative; lower is better
        else:
            # A term may hit the title and another the body; the index on (title || body) is
            # created by news migration 0003.
            match = "(e.title || e.body) @@ plainto_tsquery(%s)"
            text = " ".join(self.request.terms)
            match_params = [text]
            join = "JOIN"
            source = f"{entry} AS e"
            score = (
                f"(ts_rank(e.title, plainto_tsquery(%s)) * {TITLE_WEIGHT}"
                " + ts_rank(e.body, plainto_tsquery(%s)))"
            )
            score_params = [text, text]
            best_first = "DESC"
        where = [
            match,
            "e.content_type_id = %s",
            "p.live",
        ]
        params = [*match_params, _article_content_type_id()]
        if self.request.channel is not None:
            where.append("p.path LIKE %s")
            params.append(f"{self.request.channel.path}%")
        joins = (
            f"{source} {join} wagtailcore_page AS p ON p.id = CAST(e.object_id AS INTEGER)"
            f" {join} news_articlepage AS a ON a.page_ptr_id = p.id"
            f" LEFT JOIN {StoryEntry._meta.db_table} AS s ON s.article_id = p.id"
        )
        condition = " AND ".join(where)
        # A story is one result, shown by its lead copy and ranked by its best-matching copy.
        story = "COALESCE(s.lead_id, p.id)"
        if count:
            return f"SELECT COUNT(DISTINCT {story}) FROM {joins} WHERE {condition}", params  # noqa: S608
        matches = (
            f"SELECT {story} AS story, {score} AS score, a.published_at AS published"  # noqa: S608
            f" FROM {joins} WHERE {condition}"
        )
        if connection.vendor == "sqlite":
            # A LIMIT keeps SQLite from flattening the match into the grouping query, where
            # bm25() may not run.
            matches += " LIMIT -1"
        best = "MIN(m.score)" if best_first == "ASC" else "MAX(m.score)"
        if self.request.order == "newest":
            order = "MAX(m.published) DESC, m.story DESC"
        else:
            order = f"{best} {best_first}, MAX(m.published) DESC, m.story DESC"
        sql = (
            f"SELECT m.story FROM ({matches}) AS m GROUP BY m.story"  # noqa: S608
            f" ORDER BY {order} LIMIT %s OFFSET %s"
        )
        return sql, [*score_params, *params, limit, offset]


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
