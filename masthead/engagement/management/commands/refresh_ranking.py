from django.core.management.base import BaseCommand

from masthead.engagement import services


class Command(BaseCommand):
    help = "Recompute every Ranking list into the cache (run_periodic does this every minute)."

    def handle(self, *args, **options):
        scopes = services.ranking_refresh()
        self.stdout.write(f"Refreshed Ranking for {scopes} scopes.")
