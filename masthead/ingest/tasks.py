"""Background work of ingestion: one poll per due source, on the task worker.

Every process imports this module at start-up (the periodic job is registered in `ready`), but
only the task worker polls: the pipeline (the screening lexicon, discovery's numeric stack:
seconds of imports) is imported when a poll first runs, so a web worker starts without it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import ModuleType

from django.utils import timezone

from masthead.ingest.models import Source
from masthead.tasks import task


def _pipeline() -> ModuleType:
    from masthead.ingest import pipeline

    return pipeline


@task()
def source_poll_task(source_id: int) -> str:
    source = Source.objects.filter(pk=source_id, enabled=True).first()
    return str(_pipeline().source_poll(source)) if source else "no such source"


def sources_queue(now: datetime | None = None) -> int:
    """Queue a poll task for each due source (a periodic job)."""
    count = 0
    for source in _pipeline().due_sources(now):
        # Claim the slot first, so a slow poll is not queued twice.
        claimed = Source.objects.filter(pk=source.pk, next_poll_at=source.next_poll_at).update(
            next_poll_at=(now or timezone.now()) + timedelta(minutes=source.poll_minutes)
        )
        if claimed:
            source_poll_task.enqueue(source.pk)
            count += 1
    return count
