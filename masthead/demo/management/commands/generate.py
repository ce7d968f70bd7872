import time

from django.core.management.base import BaseCommand, CommandError

from masthead.demo.services import corpus_generate, generate_processes
from masthead.news.models import ArticlePage
from masthead.progress import Progress, StageProgress


class Command(BaseCommand):
    help = (
        "Add a deterministic synthetic corpus (channels, stories, syndicated copies) to the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if articles exist.")
        parser.add_argument("--no-images", action="store_true", help="Skip the demo lead images.")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--processes",
            type=int,
            default=generate_processes(),
            help="Worker processes generating the text (default: one per core, at most 4).",
        )
        parser.add_argument(
            "--writers",
            type=int,
            default=1,
            help=(
                "Processes writing channels' batches at once, each with its own database "
                "connection (PostgreSQL only; 2 keeps both cores of a 2-core server busy)."
            ),
        )
        parser.add_argument(
            "--no-discovery",
            action="store_true",
            help="Skip rebuilding Related, Like and story clusters afterwards.",
        )

    def handle(
        self,
        *args,
        articles,
        seed,
        if_empty,
        no_images,
        batch_size,
        processes,
        writers,
        no_discovery,
        **options,
    ):
        if articles < 1:
            raise CommandError("--articles must be at least 1.")
        if if_empty and ArticlePage.objects.exists():
            self.stdout.write("The site already has articles; nothing generated.")
            return

        with Progress(label="Articles", total=articles, stream=self.stdout) as progress:
            report = corpus_generate(
                articles=articles,
                seed=seed,
                with_images=not no_images,
                batch_size=batch_size,
                processes=processes,
                writers=writers,
                progress=lambda done, seconds: progress.advance(done - progress.done),
            )
        size = f", database {report.database_bytes / 1e6:,.1f} MB" if report.database_bytes else ""
        self.stdout.write(
            f"Generated {report.articles:,} articles in {report.seconds:.1f} s "
            f"({report.per_second:,.0f} articles/s){size}."
        )
        if not no_discovery:
            # Imported here: discovery's services bring scikit-learn, faiss and datasketch
            # (seconds of CPU), which `--no-discovery` runs do not need.
            from masthead.discovery.services import index_rebuild

            started = time.perf_counter()
            stages = StageProgress(self.stdout)
            result = index_rebuild(progress=stages)
            stages.close()
            self.stdout.write(
                f"Discovery: {result['articles']:,} articles in {result['stories']:,} stories "
                f"in {time.perf_counter() - started:.1f} s."
            )
