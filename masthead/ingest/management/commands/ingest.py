from django.core.management.base import BaseCommand, CommandError

from masthead.ingest.models import Source
from masthead.ingest.pipeline import Context, due_sources, source_poll
from masthead.progress import Progress


class Command(BaseCommand):
    help = "Poll every source that is due (or one, by name) and ingest what is new."

    def add_arguments(self, parser):
        parser.add_argument("--source", help="poll this source now, due or not")

    def handle(self, *args, source: str | None, **options):
        if source:
            sources = list(Source.objects.filter(name=source))
            if not sources:
                raise CommandError(f"no source named {source!r}")
        else:
            sources = list(due_sources())
        ctx = Context() if sources else None
        failed = 0
        with Progress(label="Sources", total=len(sources), stream=self.stdout) as progress:
            for s in sources:
                report = source_poll(s, ctx=ctx)
                failed += bool(report.error)
                progress.write(f"{s.name}: {report}")
                progress.advance()
        if not sources:
            self.stdout.write("No source is due.")
        if failed and source:
            raise CommandError(f"{source} failed")
