"""Writing many articles into Wagtail's database search index at a cost that stays flat.

Wagtail's index (`add_items`) writes the rows, so their content is exactly what its own indexing
gives. What does not stay flat is the step after each batch: it recomputes the average title
length over the whole index and rewrites every row whose norm is still the default, two scans
that grow with the corpus. `TitleNorms` keeps that average as a running sum for the length of a
bulk run and sets the norm of the rows just written only: the same value Wagtail would have set.
Other backends (OpenSearch, Elasticsearch) index through their bulk API unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Model, QuerySet, Sum
from django.db.models.functions import Length
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry


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

    flat._refresh_title_norms = refresh  # the one step that scanned the whole index
    flat.add_items(model, objects)
