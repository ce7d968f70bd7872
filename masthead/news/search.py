"""Article search straight against the full-text index that Wagtail's search backend maintains.

Wagtail keeps the index (wagtailsearch_indexentry and, on SQLite, its FTS5 table) up to date on
publish; we only query it. Its own query builder ranks by a correlated subquery that re-runs the
text match for every matching row (seconds per query at 10,000 articles), so we issue one SQL
statement per page of results instead: the text match, the live/channel filters and the
ordering together, using FTS5's bm25() on SQLite and ts_rank() over the GIN-indexed tsvectors
on PostgreSQL. Title hits weigh ten times body hits; newer articles win ties. Only the
RECENT_MATCHES most recently indexed matches are ranked (an index entry's id grows as articles
are first indexed, that is first published; edits keep it): scoring every match of a common
word reads tens of thousands of index rows per query. Results are stories:
the copies of one story (news.StoryEntry) collapse into its lead copy, ranked by the best match. Other databases
(and OpenSearch/Elasticsearch backends) go through Wagtail's backend unchanged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import RFC3986_SUBDELIMS, escape_leading_slashes
from wagtail.coreutils import WAGTAIL_APPEND_SLASH
from wagtail.models import Page, Site
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


# Counting stops here: past it a search reads "more than 1,000 results".
COUNT_CAP = 1000
# A search looks at this many matches at most, the most recently indexed: ranking (bm25 or
# ts_rank) and grouping cost grow with the matches they visit, and a common word matches almost
# half of a large archive. Older matches are not found ("more than N results" says so).
RECENT_MATCHES = 1000
# PostgreSQL reads the recent matches in windows of index-entry ids, the first this wide.
RECENT_WINDOW = 4 * RECENT_MATCHES
# Relevance pages rank this many best-scoring matches per result wanted, then group them.
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 200
# ts_rank() with its default weights and normalisation never exceeds about 1.61 (a lone term:
# (w + sum of w/i^2) / 1.645 with w <= 1; several terms: below 1): an upper bound on what a
# body can add to a match's score.
BODY_RANK_MAX = 2.0
T = TypeVar("T")


class ArticleSearchResults:
    """Live articles matching every term of a query, one per story, paged lazily (what
    Paginator needs).

    Only the RECENT_MATCHES most recently indexed matches take part. A relevance page ranks
    them in the text index alone, takes the best-scoring as candidates and only joins those to
    pages and stories. A story ranks by its best copy, so every story with a copy among the
    candidates has its best copy there too, and a story without one ranks below all of them:
    the page holds the stories a ranking of every recent match would (only stories whose best
    copies score exactly the same may swap places, even across pages, as their newest copy may
    not be a candidate). When filters or grouping leave too few stories for the page, the
    candidate set grows until the recent matches run out. The count is the stories among the
    recent matches, up to COUNT_CAP; `is_capped` says when there are more (past the cap, or
    older matches left out). Counts and pages (story ids) are cached until an article is
    published, edited, unpublished, moved or regrouped (the SEARCH key), or
    MASTHEAD_SEARCH_CACHE_SECONDS.
    """

    def __init__(self, request: SearchRequest):
        self.request = request
        self._count: tuple[int, bool] | None = None
        self._ids: list[int] | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._cached("stories", self._count_run)
        return min(self._count[0], COUNT_CAP)

    def _count_run(self) -> tuple[int, bool]:
        """Stories among the recent matches (up to one past COUNT_CAP), and whether older
        matches were left out."""
        # The newest RECENT_MATCHES + 1 matches, read once: one more than searched says that
        # older matches were left out.
        recent, recent_params = self._recent(scored=False, limit=RECENT_MATCHES + 1)
        joins, where, params = self._filters(published=False)
        sql = (
            f"WITH r AS ({recent}) SELECT (SELECT COUNT(*) FROM r),"  # noqa: S608
            " (SELECT COUNT(DISTINCT COALESCE(s.lead_id, p.id))"
            f" FROM (SELECT id FROM r ORDER BY id DESC LIMIT {RECENT_MATCHES}) AS m {joins}"
            f" WHERE {where})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*recent_params, *params])
            matches, stories = cursor.fetchone()
        older = matches > RECENT_MATCHES
        return min(stories, COUNT_CAP + 1), older

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
        assert self._count is not None
        stories, older = self._count
        return stories > COUNT_CAP or (older and stories > 0)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list:
        ids = self._window_ids(window)
        by_id = selectors.story_leads(selectors.article_list_latest()).in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def hits(self) -> SearchHits:
        """The same results as `SearchHit` rows: what a result card shows, read without
        building page objects (most of a search page's Python time went there)."""
        return SearchHits(self)

    def _window_ids(self, window: slice) -> list[int]:
        start, stop = window.start or 0, window.stop
        return self._cached(
            f"page:{start}:{stop}", lambda: self._story_ids(limit=stop - start, offset=start)
        )

    def _story_ids(self, *, limit: int, offset: int) -> list[int]:
        wanted = offset + limit
        candidates = (
            max(MIN_CANDIDATES, wanted * CANDIDATES_PER_RESULT)
            if self.request.order == "relevance"
            else None
        )
        while True:
            if candidates is not None and candidates >= RECENT_MATCHES:
                candidates = None  # rank every recent match
            sql, params = self._sql(limit=limit, offset=offset, candidates=candidates)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                ids = [row[0] for row in cursor.fetchall()]
            # Enough stories for the page, or every recent match was a candidate: it is exact.
            if candidates is None or len(ids) == limit:
                return ids
            if self._candidate_count(candidates) < candidates:
                return ids
            candidates *= 4

    def _candidate_count(self, candidates: int) -> int:
        if connection.vendor == "postgresql":  # the recent ids are in hand already
            return min(len(self._recent_ids()), candidates)
        recent, params = self._recent(scored=False, limit=candidates)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({recent}) AS r", params)  # noqa: S608
            return cursor.fetchone()[0]

    def _recent(self, *, scored: bool, limit: int | None = None) -> tuple[str, list]:
        """A subquery of the `limit` most recently indexed entries matching the query (in the
        channel, when one is asked for): (id) or (id, score), and its parameters. Scores are
        computed for those rows only."""
        entry = IndexEntry._meta.db_table
        limit = RECENT_MATCHES if limit is None else limit
        # The limits of the subqueries that joins start from are written into the SQL, not
        # bound: SQLite caps a subquery's estimated rows only by a literal LIMIT. With a bound
        # one and ANALYZE's statistics present, it built a Bloom filter over the whole index
        # entry and page tables for every search (30 ms of a 33 ms count at 100,000 articles).
        if connection.vendor == "sqlite":
            # Columns of the FTS table: autocomplete, body, title. bm25() is negative. FTS5
            # walks its index in rowid order, so ORDER BY rowid DESC LIMIT stops early; the
            # channel filter is tested on the way, row by row, before the limit counts it.
            fts = f"{entry}_fts"  # FTS5 takes no alias in MATCH
            score = f", bm25({fts}, 0.0, 1.0, {TITLE_WEIGHT}) AS score" if scored else ""
            terms = " AND ".join(f'"{term}"' for term in self.request.terms)
            joins, params = self._in_channel(fts)
            return (
                f"SELECT {fts}.rowid AS id{score} FROM {fts} {joins}"  # noqa: S608
                f" WHERE {fts} MATCH %s ORDER BY {fts}.rowid DESC LIMIT {int(limit)}",
                [*params, terms],
            )
        ids = self._recent_ids()[:limit]
        if not scored:
            return "SELECT id FROM unnest(%s::integer[]) AS r(id)", [ids]
        text = " ".join(self.request.terms)
        score = (
            f"ts_rank(e.title, plainto_tsquery(%s)) * {TITLE_WEIGHT}"
            " + ts_rank(e.body, plainto_tsquery(%s))"
        )
        return (
            f"SELECT e.id, {score} AS score FROM {entry} AS e WHERE e.id = ANY(%s)",  # noqa: S608
            [text, text, ids],
        )

    def _in_channel(self, match: str) -> tuple[str, list]:
        """Joins from the text match (the table or alias `match`) to its page that keep only the articles under the
        channel asked for (nothing without one), and their parameters. The filter goes before
        the limit, so a channel's older matches are not crowded out by newer ones elsewhere."""
        if self.request.channel is None:
            return "", []
        joins, entry, join = "", match, "JOIN"
        if connection.vendor == "sqlite":  # the FTS table: its index entry is a join away
            join = "CROSS JOIN"  # pins the order: text match first
            joins = f"{join} {IndexEntry._meta.db_table} AS ce ON ce.id = {match}.rowid "
            entry = "ce"
        joins += (
            f"{join} wagtailcore_page AS cp ON cp.id = CAST({entry}.object_id AS INTEGER)"
            f" AND {entry}.content_type_id = %s AND cp.path LIKE %s"
        )
        return joins, [_article_content_type_id(), f"{self.request.channel.path}%"]

    def _recent_ids(self) -> list[int]:
        """PostgreSQL: the ids of the RECENT_MATCHES + 1 newest matches, read once per search
        (the count and the page share it).

        The GIN index lists every match, but learning a match's id (and its channel) means
        visiting its row, and a common word matches half the archive. So the matches are read
        in windows of ids from the newest down until enough are found: each window is the GIN
        bitmap ANDed with a primary-key range, and only the rows in both are visited. Every
        window reads the term's whole GIN entry again, so the next window is as wide as the
        matches found so far say it must be (at least fourfold)."""
        if self._ids is not None:
            return self._ids
        entry = IndexEntry._meta.db_table
        joins, params = self._in_channel("f")
        # A term may hit the title and another the body; the index on (title || body) is
        # created by news migration 0003.
        sql = (
            f"SELECT f.id FROM {entry} AS f {joins}"  # noqa: S608
            " WHERE (f.title || f.body) @@ plainto_tsquery(%s) AND f.id > %s AND f.id <= %s"
            " ORDER BY f.id DESC LIMIT %s"
        )
        wanted = RECENT_MATCHES + 1
        ids: list[int] = []
        # Without plain index scans the planner must take the GIN bitmap ANDed with the range.
        # Left free, it walked the primary key backwards through the range for common words,
        # testing the text match row by row: each test de-toasts and joins the row's two
        # vectors (about 25 us), which the planner costs as two cheap operators; 100-600 ms for
        # a window of one common word at 100,000 articles, against 5-10 ms for the bitmaps.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {entry}")  # noqa: S608
            high = cursor.fetchone()[0]
            cursor.execute("SET LOCAL enable_indexscan = off")
            width = RECENT_WINDOW
            while high > 0 and len(ids) < wanted:
                low = max(0, high - width)
                cursor.execute(sql, [*params, " ".join(self.request.terms), low, high, wanted])
                found = [row[0] for row in cursor.fetchall()]
                ids += found[: wanted - len(ids)]
                high, width = low, _next_window(width, found=len(found), missing=wanted - len(ids))
            cursor.execute("SET LOCAL enable_indexscan TO DEFAULT")  # for an enclosing transaction
        self._ids = ids
        return ids

    def _ranked(self, candidates: int | None) -> tuple[str, list, str]:
        """A subquery of (id, score) for the best `candidates` recent matches (all when None);
        its parameters; and the direction that puts the best first."""
        best_first = "ASC" if connection.vendor == "sqlite" else "DESC"
        if candidates is not None and connection.vendor == "postgresql":
            sql, params = self._ranked_title_first(candidates)
            return sql, params, best_first
        recent, params = self._recent(scored=True)
        if candidates is None:
            return recent, params, best_first
        sql = (
            f"SELECT id, score FROM ({recent}) AS r"  # noqa: S608
            f" ORDER BY score {best_first}, id DESC LIMIT {int(candidates)}"
        )
        return sql, params, best_first

    def _ranked_title_first(self, candidates: int) -> tuple[str, list]:
        """PostgreSQL: the best `candidates` recent matches, (id, score), scoring the body only
        where it can matter. Reading a body's tsvector is most of a search's SQL time (it is
        stored out of line), a title's is cheap. A body adds less than BODY_RANK_MAX, so a match
        whose title score falls that far below the `candidates`-th best title score cannot
        reach the best `candidates`: its body is not read. The rows returned, their scores and
        their order are those of scoring every body."""
        entry = IndexEntry._meta.db_table
        text = " ".join(self.request.terms)
        sql = (
            "WITH t AS ("  # noqa: S608
            f" SELECT e.id, ts_rank(e.title, plainto_tsquery(%s)) * {TITLE_WEIGHT} AS title_score"
            f" FROM {entry} AS e WHERE e.id = ANY(%s)),"
            " cut AS (SELECT title_score FROM t ORDER BY title_score DESC LIMIT 1 OFFSET %s)"
            " SELECT t.id, t.title_score + ts_rank(e.body, plainto_tsquery(%s)) AS score"
            f" FROM t JOIN {entry} AS e ON e.id = t.id"
            " WHERE NOT EXISTS (SELECT 1 FROM cut)"
            " OR t.title_score >= (SELECT title_score FROM cut) - %s"
            " ORDER BY score DESC, t.id DESC LIMIT %s"
        )
        ids = self._recent_ids()[:RECENT_MATCHES]
        return sql, [text, ids, candidates - 1, text, BODY_RANK_MAX, candidates]

    def _filters(self, *, published: bool = True) -> tuple[str, str, list]:
        """Joins from index entries (`e`) to live articles (`p`, `a` when `published` is
        needed) and their stories (`s`), and the WHERE clause with its parameters. CROSS JOIN
        pins SQLite's join order."""
        entry = IndexEntry._meta.db_table
        join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
        joins = (
            f"{join} {entry} AS e ON e.id = m.id"
            f" {join} wagtailcore_page AS p ON p.id = CAST(e.object_id AS INTEGER)"
        )
        if published:
            joins += f" {join} news_articlepage AS a ON a.page_ptr_id = p.id"
        joins += f" LEFT JOIN {StoryEntry._meta.db_table} AS s ON s.article_id = p.id"
        where = ["e.content_type_id = %s", "p.live"]
        params: list = [_article_content_type_id()]
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


@dataclass(frozen=True)
class SearchHit:
    """A search result as its card shows it: a live article, the lead copy of its story."""

    pk: int
    title: str
    dek: str
    column: str
    source_name: str
    published_at: datetime
    url_path: str
    story_sources: int | None  # live copies of its story; None when not clustered

    @property
    def credit_line(self) -> str:
        return self.column or self.source_name

    def get_url(self, request: HttpRequest | None = None) -> str | None:
        return page_url(url_path=self.url_path, request=request)


class SearchHits:
    """`ArticleSearchResults` paged as `SearchHit` rows (what Paginator needs)."""

    def __init__(self, results: ArticleSearchResults):
        self.results = results

    def count(self) -> int:
        return self.results.count()

    def __len__(self) -> int:
        return self.results.count()

    @property
    def is_capped(self) -> bool:
        return self.results.is_capped

    def __getitem__(self, window: slice) -> list[SearchHit]:
        ids = self.results._window_ids(window)
        if not ids:
            return []
        # What selectors.story_leads(article_list_latest()) keeps, in plain SQL: building the
        # ORM query cost more than running it.
        page, article = Page._meta.db_table, models.ArticlePage._meta.db_table
        sql = (
            f"SELECT p.id, p.title, a.dek, a.{connection.ops.quote_name('column')}, a.source_name,"  # noqa: S608
            " a.published_at, p.url_path,"
            f" s.source_count FROM {page} AS p JOIN {article} AS a ON a.page_ptr_id = p.id"
            f" LEFT JOIN {StoryEntry._meta.db_table} AS s ON s.article_id = p.id"
            f" WHERE p.id IN ({', '.join(['%s'] * len(ids))}) AND p.live"
            " AND (s.article_id IS NULL OR s.is_lead)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            rows = cursor.fetchall()
        by_id = {
            pk: SearchHit(pk, title, dek, column, source, _aware(published), url_path, sources)
            for pk, title, dek, column, source, published, url_path, sources in rows
        }
        return [by_id[pk] for pk in ids if pk in by_id]


def _aware(value: datetime | str) -> datetime:
    """A datetime column as the ORM gives it: SQLite hands back text or a naive UTC time."""
    if isinstance(value, str):
        value = parse_datetime(value)  # type: ignore[assignment]
    assert isinstance(value, datetime)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


# The fields of a SearchHit, in order, as ORM names.
HIT_FIELDS = (
    "pk",
    "title",
    "dek",
    "column",
    "source_name",
    "published_at",
    "url_path",
    "story_sources",
)
# Wagtail's page route (`wagtail_serve`): a page's URL is this pattern's match, reversed.
_SERVE_PATH = re.compile(r"(?:[\w\-]+/)*")


def page_url(*, url_path: str, request: HttpRequest | None) -> str | None:
    """What `Page.get_url(request)` gives for the page at `url_path`, without the page object:
    Wagtail's own steps (site root paths and the current site cached on the request), with the
    route reversed once per request rather than once per page."""
    roots = _site_root_paths(request)
    possible = [root for root in roots if url_path.startswith(root.root_path)]
    if not possible:
        return None
    site_id, root_path, root_url, _ = possible[0]
    if len({root.site_id for root in possible}) > 1 and isinstance(request, HttpRequest):
        site = Site.find_for_request(request)
        chosen = next((root for root in possible if site and root.site_id == site.pk), None)
        if chosen is not None:
            site_id, root_path, root_url, _ = chosen
    page_path = _serve_path(url_path[len(root_path) :], request)
    if page_path is None:
        return None
    if not WAGTAIL_APPEND_SLASH and page_path != "/":
        page_path = page_path.rstrip("/")
    current = Site.find_for_request(request) if request is not None else None
    if (current is not None and site_id == current.pk) or len({r.site_id for r in roots}) == 1:
        return page_path
    return root_url + page_path


def _site_root_paths(request: HttpRequest | None) -> Any:
    if request is None:
        return Site.get_site_root_paths()
    if not hasattr(request, "_wagtail_cached_site_root_paths"):
        request._wagtail_cached_site_root_paths = Site.get_site_root_paths()  # type: ignore[attr-defined]
    return request._wagtail_cached_site_root_paths  # type: ignore[attr-defined]


def _serve_path(rest: str, request: HttpRequest | None) -> str | None:
    """`reverse("wagtail_serve", args=(rest,))`: the route's prefix, reversed once per request,
    and `rest` quoted as Django's reverse() quotes it."""
    prefix = getattr(request, "_masthead_serve_prefix", None)
    if prefix is None:
        prefix = reverse("wagtail_serve", args=("",))
        if request is not None:
            request._masthead_serve_prefix = prefix  # type: ignore[attr-defined]
    plain = WAGTAIL_APPEND_SLASH and not settings.WAGTAIL_I18N_ENABLED and "%" not in prefix
    if not plain or not _SERVE_PATH.fullmatch(rest):
        try:  # a language prefix, or not a path Wagtail's route takes: reverse() decides
            return reverse("wagtail_serve", args=(rest,))
        except NoReverseMatch:
            return None
    return escape_leading_slashes(prefix + quote(rest, safe=RFC3986_SUBDELIMS + "/~:@"))


def _next_window(width: int, *, found: int, missing: int) -> int:
    """The width of the next window of ids: wide enough, at the density of matches the last
    window showed (with a fifth to spare), for the `missing` matches; at least four times the
    last, and the whole rest of the index when the last window had none."""
    if found == 0:
        return width * 1000
    return max(width * 4, int(width * missing / found * 1.2) + 1)


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
