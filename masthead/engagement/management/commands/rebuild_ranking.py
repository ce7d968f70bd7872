from django.core.management.base import BaseCommand
from django.utils import timezone

from masthead.engagement import counters


class Command(BaseCommand):
    help = "Recompute Ranking's decayed sums from SQL's hourly activity (once after upgrading)."

    def handle(self, *args, **options):
        replayed = counters.ranking_scores_rebuild(now=timezone.now())
        self.stdout.write(f"Ranking rebuilt from {replayed} hourly activity rows.")
