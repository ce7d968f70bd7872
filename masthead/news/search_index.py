"""Writing many articles into Wagtail's database search index at a cost that stays flat.

Wagtail's index (`add_items`) writes the rows, so their content is exactly what its own indexing
gives. What does not stay flat is the step after each batch: it recomputes the average title
length over the whole index and rewrites every row whose norm is still the default, two scans
that grow with the corpus. `TitleNorms` keeps that average as a running sum for the length of a
bulk run and sets the norm of the rows just written only: the same value Wagtail would have set.
On PostgreSQL the rows are also composed here, one COPY and one statement per batch: Wagtail
builds each tsvector as a tree of Django expressions (a few dozen field objects per article, most
of the cost of creating an article), reads every search field five times and then rewrites each
new row to set its title norm (a second copy of every row in four GIN indexes). `_postgres_rows`
reads each field once through a plan made once per model, sends the texts by COPY into a
temporary table, and computes from there the same SQL expression,
`setweight(to_tsvector(config, text), weight)` joined with `||` in the same balanced order, and
the title norm inside the INSERT, so the stored rows are the ones Wagtail's indexing stores.
Other backends (OpenSearch, Elasticsearch) index through their bulk API unchanged.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import Count, Manager, Model, QuerySet, Sum
from django.db.models.functions import Length
from django.utils.encoding import force_str
from modelsearch.backends.database.postgres.weights import get_weight
from modelsearch.index import AutocompleteField, RelatedFields, SearchField
from modelsearch.utils import balanced_reduce
from taggit.managers import TaggableManager
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

WEIGHTS = frozenset("ABCD")
# Parameters per statement stay well under PostgreSQL's 65,535.
POSTGRES_ROWS = 2000


@dataclass
class TitleNorms:
    """Sum and count of the index's non-empty title lengths, read once per bulk run."""

    total: float | None = None
    count: int = 0

    def start(self, *, written: QuerySet) -> None:
        """Read the index once, leaving out the rows about to be (re)written."""
        if self.total is None:
            self.total, self.count = _lengths(IndexEntry.objects.exclude(pk__in=written))

    def add(self, total: float, count: int) -> float:
        """Count in a batch's title lengths; the average once they are in."""
        assert self.total is not None, "start() first"
        self.total += total
        self.count += count
        return self.total / self.count if self.count else 1.0

    def averaged(self, entries: QuerySet) -> float:
        """The average title length once `entries` (just written) are counted in."""
        self.start(written=entries)
        return self.add(*_lengths(entries))


def _lengths(entries: QuerySet) -> tuple[float, int]:
    found = (
        entries.annotate(title_length=Length("title"))
        .filter(title_length__gt=0)
        .aggregate(total=Sum("title_length"), count=Count("pk"))
    )
    return float(found["total"] or 0), found["count"]


def search_index_add_bulk(*, model: type[Model], objects: list, norms: TitleNorms) -> None:
    """Index `objects` (of `model`) as Wagtail's backend would, in time independent of the
    size of the index. Objects may be fresh from a bulk insert: related values (tags) are read
    through their managers, so give them in memory to avoid a query per object."""
    backend = get_search_backend()
    index = backend.get_index_for_model(model)
    if not hasattr(index, "_refresh_title_norms"):
        backend.add_bulk(model, objects)
        return
    content_type = ContentType.objects.get_for_model(model)
    ids = [str(obj.pk) for obj in objects]
    written = IndexEntry.objects.filter(content_type=content_type, object_id__in=ids)
    if connection.vendor == "postgresql":
        norms.start(written=written)
        for start in range(0, len(objects), POSTGRES_ROWS):
            _postgres_rows(backend, model, objects[start : start + POSTGRES_ROWS], norms)
        return
    flat = copy.copy(index)

    def refresh(full: bool = False) -> None:
        fresh = written.filter(title_norm=1.0)
        average = norms.averaged(fresh)
        fresh.annotate(title_length=Length("title")).filter(title_length__gt=0).update(
            title_norm=average / Length("title")
        )

    flat._refresh_title_norms = refresh  # the one step that scanned the whole index
    flat.add_items(model, objects)


@dataclass(frozen=True)
class _Field:
    """One search field of a model: where its text goes, with which weight, how it is read;
    a relation instead has the fields of its related objects."""

    section: str  # "title", "body", "autocomplete" or "related"
    weight: str
    read: Callable[[Any], Any]
    fields: tuple[_Field, ...] = ()


@cache
def _plan(model: type[Model]) -> tuple[_Field, ...]:
    """What Wagtail's `ObjectIndexer.prepare_field` does for each search field, decided once."""
    return _fields(model, model.get_search_fields())  # type: ignore[attr-defined]


def _fields(model: type[Model], search_fields: Iterable) -> tuple[_Field, ...]:
    plan = []
    for field in search_fields:
        if isinstance(field, SearchField):
            section = "title" if field.field_name == "title" else "body"
            plan.append(_Field(section, get_weight(field.boost), _reader(model, field)))
        elif isinstance(field, AutocompleteField):
            plan.append(_Field("autocomplete", "D", _reader(model, field)))
        elif isinstance(field, RelatedFields):
            related = model._meta.get_field(field.field_name).related_model
            assert isinstance(related, type), f"{field.field_name} is not a relation"
            plan.append(_Field("related", "", field.get_value, _fields(related, field.fields)))
    return tuple(plan)


def _reader(model: type[Model], field) -> Callable[[Any], Any]:
    """`field.get_value`, or a plain attribute read where that is all it does."""
    try:
        model_field = field.get_field(model)
    except FieldDoesNotExist:
        return field.get_value
    plain = not (
        model_field.is_relation
        or isinstance(model_field, TaggableManager)
        or hasattr(model_field, "get_searchable_content")
    )
    return attrgetter(model_field.attname) if plain else field.get_value


def _prepare(value) -> str:
    """Wagtail's `ObjectIndexer.prepare_value`."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_prepare(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(_prepare(item) for item in value.values())
    return force_str(value)


def _texts(obj, plan: tuple[_Field, ...], out: dict[str, list[tuple[str, str]]]) -> None:
    for field in plan:
        if field.section != "related":
            out[field.section].append((_prepare(field.read(obj)), field.weight))
            continue
        value = field.read(obj)
        if value is None:
            continue
        related = (
            value.all() if isinstance(value, Manager) else [value() if callable(value) else value]
        )
        for sub in related:
            _texts(sub, field.fields, out)


def _kept(texts: list[tuple[str, str]]) -> tuple[list[str], str]:
    """The non-empty texts of a section, stripped, and their weights as one string, as
    Wagtail's `as_vector` keeps them."""
    kept = [(text.strip(), weight) for text, weight in texts if text.strip()]
    for _, weight in kept:
        if weight not in WEIGHTS:
            raise ValueError(f"not a tsvector weight: {weight!r}")
    return [text for text, _ in kept], "".join(weight for _, weight in kept)


def _vector(column: str, counts: Iterable[int], config: str | None) -> str:
    """SQL for the tsvector of the staged row's `column` texts, as Wagtail's `as_vector`:
    `setweight(to_tsvector(config, text), weight)` joined with `||` in its balanced order,
    one branch for each number of texts a row of the batch has."""
    branches = []
    for count in sorted(counts):
        if count == 0:
            continue
        parts = [
            f"setweight(to_tsvector({_config(config)}COALESCE(s.{column}[{i}], '')), "
            f'substr(s.{column}_weights, {i}, 1)::"char")'
            for i in range(1, count + 1)
        ]
        branches.append(
            f"WHEN {count} THEN " + balanced_reduce(lambda a, b: f"({a} || {b})", parts)
        )
    if not branches:
        return "''::tsvector"
    return f"CASE cardinality(s.{column}) {' '.join(branches)} ELSE ''::tsvector END"


def _config(config: str | None) -> str:
    """The text search configuration argument, written into the statement (one name per
    site, so statements stay short and their parameters few)."""
    if config is None:
        return ""
    if not re.fullmatch(r"[A-Za-z_][\w.]*", config):
        raise ValueError(f"not a text search configuration name: {config!r}")
    return f"'{config}'::regconfig, "


# Rows staged by COPY, one section's texts as an array and their weights as one string.
_STAGED = "masthead_index_staged"
_STAGED_COLUMNS = (
    "position integer, content_type_id integer, object_id text, title text[], "
    "title_weights text, autocomplete text[], autocomplete_weights text, body text[], "
    "body_weights text"
)
# A staged row is read once, soon after: kept whole in its page (up to the most a page holds),
# not compressed on the way in and decompressed for every text the vectors read from it.
_STAGED_STORAGE = "toast_tuple_target = 8160"


def _array_literal(texts: list[str]) -> str:
    """`texts` as a PostgreSQL `text[]` literal, every element quoted. psycopg's list dumper
    does the same element by element in Python: about 215 µs of CPU for an article's three
    arrays against about 20 this way."""
    quoted = (text.replace("\\", "\\\\").replace('"', '\\"') for text in texts)
    return "{" + ",".join(f'"{text}"' for text in quoted) + "}"


def _postgres_rows(backend, model: type[Model], objects: list, norms: TitleNorms) -> None:
    """Insert or replace the index rows of `objects` with their title norms: what Wagtail's
    PostgreSQL index writes, with each search field read once per object. The texts go to
    the server by COPY into a temporary table (no statement of thousands of parameters to
    build, quote and parse) and the vectors are computed from there in one INSERT."""
    content_type_pk = ContentType.objects.get_for_model(model).pk
    plan = _plan(model)
    rows = []
    counts: dict[str, set[int]] = {"title": set(), "autocomplete": set(), "body": set()}
    for position, obj in enumerate(objects):
        texts: dict[str, list[tuple[str, str]]] = {"title": [], "body": [], "autocomplete": []}
        _texts(obj, plan, texts)
        row: list = [position, content_type_pk, str(obj.pk)]
        for section in ("title", "autocomplete", "body"):
            kept, weights = _kept(texts[section])
            counts[section].add(len(kept))
            row += [_array_literal(kept), weights]
        rows.append(row)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGED} ({_STAGED_COLUMNS}) "
            f"WITH ({_STAGED_STORAGE}) ON COMMIT DELETE ROWS"
        )
        # Empty but for an earlier batch of the same outer transaction, if any.
        cursor.execute(f"DELETE FROM {_STAGED}")  # noqa: S608
        with cursor.cursor.copy(f"COPY {_STAGED} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        total, count = _staged_insert(cursor, backend, counts, norms)
    norms.add(float(total), count)


def _staged_insert(cursor, backend, counts: dict[str, set[int]], norms: TitleNorms):
    """Write the staged rows into the index; the batch's (title lengths total, count)."""
    title_sql = _vector("title", counts["title"], backend.config)
    autocomplete_sql = _vector("autocomplete", counts["autocomplete"], backend.autocomplete_config)
    body_sql = _vector("body", counts["body"], backend.config)
    table = IndexEntry._meta.db_table
    # The title norm is Wagtail's: the average non-empty title length (in lexemes) over the
    # whole index, this batch included, divided by the row's own; 1.0 for no title. Every
    # value is a parameter; the f-string joins only SQL written here.
    cursor.execute(
        f"""WITH sized AS (
                SELECT s.*, t.title_vector, length(t.title_vector) AS title_length
                FROM {_STAGED} s CROSS JOIN LATERAL (SELECT {title_sql} AS title_vector) t),
            batch AS (SELECT COALESCE(SUM(title_length) FILTER (WHERE title_length > 0), 0)
                             AS total,
                             COUNT(*) FILTER (WHERE title_length > 0) AS count FROM sized),
            written AS (
                INSERT INTO {table} (content_type_id, object_id, title, autocomplete, body,
                                     title_norm, title_text, body_text)
                SELECT s.content_type_id, s.object_id, s.title_vector, {autocomplete_sql},
                       {body_sql},
                       CASE WHEN s.title_length > 0
                            THEN ((%s::float8 + b.total) / (%s + b.count)) / s.title_length
                            ELSE 1.0 END,
                       array_to_string(s.title, ' '), array_to_string(s.body, ' ')
                FROM sized s CROSS JOIN batch b
                ORDER BY s.position
                ON CONFLICT (content_type_id, object_id)
                DO UPDATE SET title = EXCLUDED.title, title_norm = EXCLUDED.title_norm,
                    autocomplete = EXCLUDED.autocomplete, body = EXCLUDED.body,
                    title_text = EXCLUDED.title_text, body_text = EXCLUDED.body_text)
            SELECT total, count FROM batch""",  # noqa: S608
        [norms.total, norms.count],
    )
    return cursor.fetchone()
