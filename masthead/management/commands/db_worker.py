import logging
import os
import time
from typing import Any

from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Command as TaskWorker

from masthead.collector import paused_while_loading
from masthead.discovery import services as discovery

logger = logging.getLogger(__name__)


class Command(TaskWorker):
    help = (
        "Run the background tasks (django-tasks' database worker), after opening discovery's "
        "index so the first update after a publish costs what later ones do."
    )

    def configure_logging(self, verbosity: int) -> None:
        """The worker's verbosity sets its task lines' level; an explicit LOG_LEVEL wins."""
        super().configure_logging(verbosity)
        level = os.getenv("LOG_LEVEL")
        if level:
            for name in (TASKS_LOGGER, "django_tasks_db"):
                logging.getLogger(name).setLevel(level.upper())

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.process_time()
        try:
            with paused_while_loading():  # the services' libraries and the index's tables
                warmed = discovery.index_warm()
        except Exception:  # a worker that cannot warm up still runs its tasks
            logger.exception("warming discovery's index failed")
        else:
            logger.info(
                "discovery index warm: %s, %.2f s CPU", warmed, time.process_time() - started
            )
        super().handle(*args, **options)
