from django.apps import AppConfig

from masthead import periodic


class IngestConfig(AppConfig):
    name = "masthead.ingest"
    label = "ingest"
    verbose_name = "Ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.ingest import tasks

        periodic.register(
            "queue polls of due sources",
            every_seconds=60,
            run=tasks.sources_queue,
            command="ingest",
        )
