from django.apps import AppConfig
from django.core.management import call_command

from masthead import periodic


class NewsConfig(AppConfig):
    name = "masthead.news"
    label = "news"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.news import signals, stories

        signals.connect()
        stories.connect()
        periodic.register(
            "publish scheduled pages",
            every_seconds=60,
            run=lambda: call_command("publish_scheduled", verbosity=0),
            command="publish_scheduled",
        )
