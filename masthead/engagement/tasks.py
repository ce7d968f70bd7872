"""Background work of the engagement app; each also runs as a management command."""

from masthead.engagement import counters, services
from masthead.tasks import task


@task()
def history_purge_task() -> int:
    return services.history_purge()


@task()
def events_flush_task() -> int:
    return counters.backend().flush()
