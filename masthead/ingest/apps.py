from django.apps import AppConfig

from masthead import periodic


class IngestConfig(AppConfig):
    name = "masthead.ingest"
    label = "ingest"
    verbose_name = "Ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from masthead.ingest import tasks
        from masthead.ingest.screening import lexicon

        lexicon.store_tables_in(settings.VAR_DIR / "screening")

        periodic.register(
            "queue polls of due sources",
            every_seconds=60,
            run=tasks.sources_queue,
            command="ingest",
        )
