"""Discovery follows publishing: each publish, unpublish or deletion queues one update task;
inside `updates_batched`, one task for every article the block changed."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished

from masthead.batching import collected
from masthead.discovery.tasks import article_update_task, articles_update_task
from masthead.news.models import ArticlePage

logger = logging.getLogger(__name__)

# Inside `updates_batched`: the articles changed so far.
_batch: ContextVar[list[int] | None] = ContextVar("masthead_discovery_batch", default=None)


def article_changed(sender, instance, **kwargs) -> None:
    article_id = instance.pk
    batch = _batch.get()
    if batch is not None:
        batch.append(article_id)
        return

    def enqueue():
        try:
            article_update_task.enqueue(article_id)
        except Exception:  # the page is saved; a rebuild or the next update catches up
            logger.exception("could not queue the discovery update of article %s", article_id)

    transaction.on_commit(enqueue)


@contextmanager
def updates_batched() -> Iterator[None]:
    """Articles published, unpublished or deleted inside the block are brought up to date by
    one task, queued when the transaction commits (a bulk write of many articles: one index
    update for all of them instead of one per article). Nothing is queued if the block fails."""
    with collected(_batch, list) as article_ids:
        yield
    if not article_ids:  # None inside an outer block, which queues them all
        return

    def enqueue():
        try:
            articles_update_task.enqueue(sorted(set(article_ids)))
        except Exception:  # the pages are saved; a rebuild or the next update catches up
            logger.exception(
                "could not queue the discovery update of %d articles", len(article_ids)
            )

    transaction.on_commit(enqueue)


def connect() -> None:
    for signal, name in ((page_published, "published"), (page_unpublished, "unpublished")):
        signal.connect(
            article_changed, sender=ArticlePage, dispatch_uid=f"masthead-discovery-{name}"
        )
    post_delete.connect(
        article_changed, sender=ArticlePage, dispatch_uid="masthead-discovery-deleted"
    )
