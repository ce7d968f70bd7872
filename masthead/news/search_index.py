"""Writing many articles into Wagtail's database search index at a cost that stays flat.

Wagtail's index (`add_items`) writes the rows, so their content is exactly what its own indexing
gives. What does not stay flat is the step after each batch: it recomputes the average title
length over the whole index and rewrites every row whose norm is still the default, two scans
that grow with the corpus. `TitleNorms` keeps that average as a running sum for the length of a
bulk run and sets the norm of the rows just written only: the same value Wagtail would have set.
On PostgreSQL the rows are also composed here: Wagtail builds each tsvector as a tree of
Django expressions (a few dozen field objects per article, most of the cost of creating an
article) and reads every search field five times; `_postgres_rows` reads them once and writes
the same SQL expression, `setweight(to_tsvector(config, text), weight)` joined with `||` in
the same balanced order, so the stored vectors are the ones Wagtail's indexing stores.
Other backends (OpenSearch, Elasticsearch) index through their bulk API unchanged.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Model, QuerySet, Sum
from django.db.models.functions import Length
from modelsearch.backends.database.postgres.postgres import ObjectIndexer
from modelsearch.index import AutocompleteField, SearchField
from modelsearch.utils import balanced_reduce
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

WEIGHTS = frozenset("ABCD")
# Rows per INSERT statement on PostgreSQL.
POSTGRES_ROWS = 250


@dataclass
class TitleNorms:
    """Sum and count of the index's non-empty title lengths, read once per bulk run."""

    total: float | None = None
    count: int = 0

    def averaged(self, entries: QuerySet) -> float:
        """The average title length once `entries` (just written) are counted in."""
        if self.total is None:
            self.total, self.count = _lengths(IndexEntry.objects.exclude(pk__in=entries))
        total, count = _lengths(entries)
        self.total += total
        self.count += count
        return self.total / self.count if self.count else 1.0


def _lengths(entries: QuerySet) -> tuple[float, int]:
    found = (
        entries.annotate(title_length=Length("title"))
        .filter(title_length__gt=0)
        .aggregate(total=Sum("title_length"), count=Count("pk"))
    )
    return float(found["total"] or 0), found["count"]


def search_index_add_bulk(*, model: type[Model], objects: list, norms: TitleNorms) -> None:
    """Index `objects` (of `model`) as Wagtail's backend would, in time independent of the
    size of the index."""
    backend = get_search_backend()
    index = backend.get_index_for_model(model)
    if not hasattr(index, "_refresh_title_norms"):
        backend.add_bulk(model, objects)
        return
    flat = copy.copy(index)
    ids = [str(obj.pk) for obj in objects]

    def refresh(full: bool = False) -> None:
        written = IndexEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids, title_norm=1.0
        )
        average = norms.averaged(written)
        written.annotate(title_length=Length("title")).filter(title_length__gt=0).update(
            title_norm=average / Length("title")
        )

    if connection.vendor == "postgresql":
        for start in range(0, len(objects), POSTGRES_ROWS):
            _postgres_rows(backend, model, objects[start : start + POSTGRES_ROWS])
        refresh()
        return
    flat._refresh_title_norms = refresh  # the one step that scanned the whole index
    flat.add_items(model, objects)


def _vector(texts: list[tuple[str, str]], config: str | None, params: list) -> str:
    """SQL for the tsvector of `texts` ((text, weight) pairs), as Wagtail's `as_vector`."""
    texts = [(text.strip(), weight) for text, weight in texts]
    texts = [(text, weight) for text, weight in texts if text]
    if not texts:
        return "''::tsvector"
    parts = []
    for text, weight in texts:
        if weight not in WEIGHTS:
            raise ValueError(f"not a tsvector weight: {weight!r}")
        parts.append(f"setweight(to_tsvector({_config(config)}COALESCE(%s::text, '')), '{weight}')")
        params.append(text)
    return balanced_reduce(lambda a, b: f"({a} || {b})", parts)


def _config(config: str | None) -> str:
    """The text search configuration argument, written into the statement (one name per
    site, so statements stay short and their parameters few)."""
    if config is None:
        return ""
    if not re.fullmatch(r"[A-Za-z_][\w.]*", config):
        raise ValueError(f"not a text search configuration name: {config!r}")
    return f"'{config}'::regconfig, "


def _postgres_rows(backend, model: type[Model], objects: list) -> None:
    """Insert or replace the index rows of `objects`: the statement Wagtail's PostgreSQL
    index runs, with each search field read once per object."""
    content_type_pk = ContentType.objects.get_for_model(model).pk
    rows: list[str] = []
    params: list = []
    for obj in objects:
        indexer = ObjectIndexer(obj, backend)
        title: list[tuple[str, str]] = []
        body: list[tuple[str, str]] = []
        autocomplete: list[tuple[str, str]] = []
        for field in indexer.search_fields:
            for current, weight, value in indexer.prepare_field(obj, field):
                if isinstance(current, SearchField):
                    (title if current.field_name == "title" else body).append((value, weight))
                elif isinstance(current, AutocompleteField):
                    autocomplete.append((value, weight))
        params.extend((content_type_pk, str(obj.pk)))
        title_sql = _vector(title, indexer.config, params)
        autocomplete_sql = _vector(autocomplete, indexer.autocomplete_config, params)
        body_sql = _vector(body, indexer.config, params)
        params.append(" ".join(text.strip() for text, _ in title if text.strip()))
        params.append(" ".join(text.strip() for text, _ in body if text.strip()))
        rows.append(f"(%s, %s, {title_sql}, {autocomplete_sql}, {body_sql}, 1.0, %s, %s)")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {IndexEntry._meta.db_table}
                (content_type_id, object_id, title, autocomplete, body, title_norm,
                 title_text, body_text)
            (VALUES {", ".join(rows)})
            ON CONFLICT (content_type_id, object_id)
            DO UPDATE SET title = EXCLUDED.title, title_norm = 1.0,
                autocomplete = EXCLUDED.autocomplete, body = EXCLUDED.body,
                title_text = EXCLUDED.title_text, body_text = EXCLUDED.body_text""",
            params,
        )
