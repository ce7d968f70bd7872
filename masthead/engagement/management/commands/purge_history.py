from django.conf import settings
from django.core.management.base import BaseCommand

from masthead.engagement import services


class Command(BaseCommand):
    help = "Delete reader history older than MASTHEAD_HISTORY_RETENTION_DAYS."

    def handle(self, *args, **options):
        deleted = services.history_purge()
        days = settings.MASTHEAD_HISTORY_RETENTION_DAYS
        self.stdout.write(f"Deleted {deleted} history rows older than {days} days.")
