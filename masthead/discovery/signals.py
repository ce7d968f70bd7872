"""Discovery follows publishing: each publish, unpublish or deletion queues one update task."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished

from masthead.discovery.tasks import article_update_task
from masthead.news.models import ArticlePage

logger = logging.getLogger(__name__)


def article_changed(sender, instance, **kwargs) -> None:
    article_id = instance.pk

    def enqueue():
        try:
            article_update_task.enqueue(article_id)
        except Exception:  # the page is saved; a rebuild or the next update catches up
            logger.exception("could not queue the discovery update of article %s", article_id)

    transaction.on_commit(enqueue)


def connect() -> None:
    for signal, name in ((page_published, "published"), (page_unpublished, "unpublished")):
        signal.connect(
            article_changed, sender=ArticlePage, dispatch_uid=f"masthead-discovery-{name}"
        )
    post_delete.connect(
        article_changed, sender=ArticlePage, dispatch_uid="masthead-discovery-deleted"
    )
