from django.core.management.base import BaseCommand

from masthead.ingest.models import Source

DEMO_FEED = "/static/demo/demo-wire.xml"
RULES = "Companies = business\nRates = markets\nTech = technology\nFootball = sports\nWorld = world"


class Command(BaseCommand):
    help = "Create the demo wire source (a feed file shipped with the demo) if it is missing."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options):
        source, created = Source.objects.get_or_create(
            name="Demo wire",
            defaults={
                "url": base_url.rstrip("/") + DEMO_FEED,
                "format": Source.RSS,
                "policy": Source.PUBLISH,
                "poll_minutes": 60,
                "full_text": False,  # its links point at example.org
                "credit": "Demo Wire",
                "channel_rules": RULES,
            },
        )
        self.stdout.write(("Created" if created else "Kept") + f" the source {source.name!r}.")
