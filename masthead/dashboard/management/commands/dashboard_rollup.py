from django.core.management.base import BaseCommand

from masthead.dashboard.rollup import rollup_refresh


class Command(BaseCommand):
    help = "Bring the analytics roll-ups (channel hours, most read, ingestion days) up to date."

    def handle(self, *args, **options):
        for name, rows in rollup_refresh().items():
            self.stdout.write(f"{name}: {rows} rows")
