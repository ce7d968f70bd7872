from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from masthead.ingest.models import Source
from masthead.ingest.pipeline import file_ingest


class Command(BaseCommand):
    help = "Ingest a local feed, JSON Feed or ninjs file as if the named source had served it."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", required=True, help="the source's name")

    def handle(self, *args, path: Path, source: str, **options):
        found = Source.objects.filter(name=source).first()
        if found is None:
            raise CommandError(f"no source named {source!r}")
        report = file_ingest(found, path)
        self.stdout.write(f"{found.name}: {report}")
        if report.error:
            raise CommandError(report.error)
