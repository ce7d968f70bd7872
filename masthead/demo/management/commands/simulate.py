from django.core.management.base import BaseCommand, CommandError

from masthead.demo.services import traffic_simulate


class Command(BaseCommand):
    help = "Send synthetic reader traffic (views, reactions) through the real event services."

    def add_arguments(self, parser):
        parser.add_argument("--readers", type=int, default=300)
        parser.add_argument("--hours", type=int, default=48)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, readers, hours, seed, **options):
        if readers < 1 or hours < 1:
            raise CommandError("--readers and --hours must be at least 1.")
        report = traffic_simulate(readers=readers, hours=hours, seed=seed)
        self.stdout.write(
            f"Simulated {report.sessions:,} sessions: {report.views_sent:,} views sent, "
            f"{report.views_counted:,} counted, {report.reactions:,} reactions "
            f"in {report.seconds:.1f} s."
        )
