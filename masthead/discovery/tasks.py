"""Background work of discovery, on the task worker that keeps the corpus in memory.

Every process imports this module at start-up (the publish signals queue its tasks), but only
the task worker runs them: `services` (scikit-learn, faiss, datasketch: seconds of imports) is
imported when a task first runs, so a web worker serves its first page without it.
"""

from __future__ import annotations

from types import ModuleType

from masthead.tasks import task


def _services() -> ModuleType:
    from masthead.discovery import services

    return services


@task()
def article_update_task(article_id: int) -> str:
    return _services().article_update(article_id=article_id)


@task()
def articles_update_task(article_ids: list[int]) -> dict[str, int]:
    return _services().articles_update(article_ids=article_ids)


@task()
def like_refresh_task() -> int:
    return _services().like_refresh()


@task()
def index_rebuild_task() -> dict:
    return _services().index_rebuild()


def refit_queue() -> bool:
    """Queue a full rebuild when the text model is due for a refit (a periodic job)."""
    if not _services().refit_is_due():
        return False
    index_rebuild_task.enqueue()
    return True
