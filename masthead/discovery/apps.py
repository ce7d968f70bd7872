from django.apps import AppConfig

from masthead import periodic


class DiscoveryConfig(AppConfig):
    name = "masthead.discovery"
    label = "discovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.discovery import signals, tasks

        signals.connect()
        # Discovery's heavy work runs on the task worker; these jobs only queue it.
        periodic.register(
            "queue Like lists",
            every_seconds=600,
            run=tasks.like_refresh_task.enqueue,
            command="refresh_like",
        )
        periodic.register(
            "queue the daily discovery refit",
            every_seconds=3600,
            run=tasks.refit_queue,
            command="rebuild_discovery",
        )
