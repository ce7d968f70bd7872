import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from masthead import periodic


class Command(BaseCommand):
    help = (
        "Run the periodic jobs that the apps register (see `masthead run_periodic --list`): "
        "scheduled publishing, moving queued events into SQL, Ranking lists, reader-history "
        "retention, and queueing discovery's Like lists, its daily refit and the polls of due "
        "sources for the task worker. Without a long-running process, run each job's command "
        "from cron instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument(
            "--list", action="store_true", help="List the jobs, their period and command; exit."
        )

    def handle(self, *args: Any, once: bool, list: bool, **options: Any) -> None:
        jobs = periodic.jobs()
        if list:
            for job in jobs:
                self.stdout.write(
                    f"{job.name}: every {job.every_seconds:g} s (`masthead {job.command}`)"
                )
            return
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        due = dict.fromkeys((job.name for job in jobs), 0.0)
        while not stopping:
            now = time.monotonic()
            for job in jobs:
                if now >= due[job.name]:
                    try:
                        job.run()
                    except Exception as error:  # one failing job must not stop the others
                        self.stderr.write(f"{job.name} failed: {error!r}")
                    due[job.name] = now + job.every_seconds
            if once:
                return
            time.sleep(1)
