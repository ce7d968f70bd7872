from django.core.management.base import BaseCommand

from masthead.engagement import counters


class Command(BaseCommand):
    help = "Move queued views from Redis into SQL (nothing to do on the SQL backend)."

    def handle(self, *args, **options):
        applied = counters.backend().flush()
        self.stdout.write(f"Applied {applied} queued events ({counters.backend().name} backend).")
