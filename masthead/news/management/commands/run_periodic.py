import signal
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from masthead.discovery import services as discovery
from masthead.engagement import counters, services
from masthead.ingest import pipeline as ingest

# (name, every N seconds, job)
JOBS = [
    ("publish scheduled pages", 60, lambda: call_command("publish_scheduled", verbosity=0)),
    ("flush queued events", 5, lambda: counters.backend().flush()),
    ("refresh rankings", settings.MASTHEAD_RANKING_CACHE_SECONDS, services.ranking_refresh),
    ("purge old reader history", 3600, services.history_purge),
    # Discovery's heavy work runs on the task worker; these only queue it.
    ("queue Like (co-visitation) lists", 600, discovery.also_read_refresh_task.enqueue),
    ("queue the daily discovery refit", 3600, discovery.refit_if_stale),
    ("queue polls of due sources", 60, ingest.sources_queue),
    (
        "bring the analytics roll-ups up to date",
        300,
        lambda: call_command("dashboard_rollup", verbosity=0),
    ),
]


class Command(BaseCommand):
    help = (
        "Run the periodic jobs: scheduled publishing and expiry (every minute), moving queued "
        "events into SQL (every 5 s), recomputing Ranking lists (every "
        "MASTHEAD_RANKING_CACHE_SECONDS), reader-history retention (hourly), and queueing "
        "discovery's Like lists (every 10 min), its daily refit and the polls of due sources "
        "(every minute) for the task worker. Without a "
        "long-running process, run `masthead publish_scheduled`, `masthead flush_events`, "
        "`masthead refresh_ranking`, `masthead purge_history`, `masthead discovery_rebuild` and "
        "`masthead ingest` from cron instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")

    def handle(self, *args, once, **options):
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        due = dict.fromkeys((name for name, _, _ in JOBS), 0.0)
        while not stopping:
            now = time.monotonic()
            for name, every, job in JOBS:
                if now >= due[name]:
                    try:
                        job()
                    except Exception as error:  # one failing job must not stop the others
                        self.stderr.write(f"{name} failed: {error!r}")
                    due[name] = now + every
            if once:
                return
            time.sleep(1)
