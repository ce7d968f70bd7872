"""Background work of discovery, on the task worker that keeps the corpus in memory."""

from __future__ import annotations

from masthead.discovery import services
from masthead.tasks import task


@task()
def article_update_task(article_id: int) -> str:
    return services.article_update(article_id=article_id)


@task()
def like_refresh_task() -> int:
    return services.like_refresh()


@task()
def index_rebuild_task() -> dict:
    return services.index_rebuild()


def refit_queue() -> bool:
    """Queue a full rebuild when the text model is due for a refit (a periodic job)."""
    if not services.refit_is_due():
        return False
    index_rebuild_task.enqueue()
    return True
