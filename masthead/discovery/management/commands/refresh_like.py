from typing import Any

from django.core.management.base import BaseCommand

from masthead.discovery import services


class Command(BaseCommand):
    help = "Recompute every Like list (readers of this also read) from recent reader sessions."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = services.like_refresh()
        self.stdout.write(f"{changed} Like lists changed.")
