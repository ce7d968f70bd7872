import time

from django.core.management.base import BaseCommand

from masthead.discovery import services
from masthead.progress import StageProgress


class Command(BaseCommand):
    help = "Refit the text model and recompute every story, Related and Like list."

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-model", action="store_true", help="reuse the fitted text model (no refit)"
        )

    def handle(self, *args, keep_model: bool, **options):
        started = time.perf_counter()
        stages = StageProgress(self.stdout)
        result = services.index_rebuild(refit=not keep_model, progress=stages)
        stages.close()
        changed = services.like_refresh()
        self.stdout.write(
            f"{result['articles']} articles in {result['stories']} stories, "
            f"{changed} Like lists changed, in {time.perf_counter() - started:.1f} s"
        )
