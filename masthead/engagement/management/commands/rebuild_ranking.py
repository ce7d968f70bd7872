from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from masthead.engagement import counters


class Command(BaseCommand):
    help = "Refill Redis's ranking sorted sets from SQL's hourly activity (after Redis was lost)."

    def handle(self, *args, **options):
        backend = counters.backend()
        if backend.name != "redis":
            self.stdout.write("The SQL backend ranks from SQL directly; nothing to rebuild.")
            return
        backend.rebuild_ranking(since=timezone.now() - timedelta(days=8))
        self.stdout.write("Ranking rebuilt from the last 8 days of activity.")
