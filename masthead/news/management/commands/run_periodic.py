import signal
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (scheduled publishing and expiry) every --interval seconds. "
        "Without a long-running process, run `masthead publish_scheduled` from cron instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument("--once", action="store_true", help="Run the jobs once and exit.")

    def handle(self, *args, interval, once, **options):
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            call_command("publish_scheduled", verbosity=0)
            if once:
                return
            for _ in range(interval):
                if stopping:
                    return
                time.sleep(1)
