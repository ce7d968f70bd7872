"""Search-index and reference-index updates of pages: once per page per admin request.

Wagtail queues both updates on every save of a page (modelsearch's and Wagtail's own post_save
handlers), and an admin publish saves the page three times (created, revision, published): six
tasks where two do the same work. Masthead's pages turn those handlers off (`search_auto_update`
and Wagtail's reference switch, around their `save`) and queue the updates from `page_saving`
instead: at once, as Wagtail would, or inside `index_updates_batched` (every admin request) once
per page as the block ends. The tasks read the page when they run, so the one queued after the
last save indexes what the page is then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from modelsearch.tasks import insert_or_update_object_task
from wagtail.models import Page
from wagtail.signal_handlers import (
    disable_reference_index_auto_update,
    reference_index_auto_update_disabled,
)
from wagtail.tasks import update_reference_index_task

from masthead.batching import collected

# A page as the tasks name it (app label, model name, primary key), and whether its reference
# index is to be updated too.
Key = tuple[str, str, str]
_pending: ContextVar[dict[Key, bool] | None] = ContextVar("masthead_index_updates", default=None)


@contextmanager
def page_saving(page: models.Model) -> Iterator[None]:
    """Around a page's save: Wagtail's own reference handler stands aside, and once the save is
    done the page's index updates are queued (or noted, inside `index_updates_batched`)."""
    if getattr(reference_index_auto_update_disabled, "value", False):
        references = False  # whoever saves turned reference updates off
        yield
    else:
        references = True
        with disable_reference_index_auto_update():
            yield
    key = (page._meta.app_label, page._meta.model_name or "", str(page.pk))
    pending = _pending.get()
    if pending is None:
        _queue(key, references=references)
    else:
        pending[key] = pending.get(key, False) or references


@contextmanager
def index_updates_batched() -> Iterator[None]:
    """Pages saved inside the block get their index updates queued once each as it ends, also
    when it fails (what it saved before failing may have committed)."""
    pending: dict[Key, bool] | None = None
    try:
        with collected(_pending, dict) as pending:
            yield
    finally:
        if pending:  # None inside an outer block
            # A page whose saves all rolled back is not there to index: a task would only fail.
            there = {
                str(pk)
                for pk in Page.objects.filter(pk__in=[key[2] for key in pending]).values_list(
                    "pk", flat=True
                )
            }
            for key, references in pending.items():
                if key[2] in there:
                    _queue(key, references=references)


def _queue(key: Key, *, references: bool) -> None:
    insert_or_update_object_task.enqueue(*key)
    if references:
        update_reference_index_task.enqueue(*key)
