from django.apps import AppConfig
from django.conf import settings

from masthead import periodic


class EngagementConfig(AppConfig):
    name = "masthead.engagement"
    label = "engagement"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.engagement import counters, services, signals

        signals.connect()
        periodic.register(
            "flush queued events",
            every_seconds=5,
            run=lambda: counters.backend().flush(),
            command="flush_events",
        )
        periodic.register(
            "refresh rankings",
            every_seconds=settings.MASTHEAD_RANKING_CACHE_SECONDS,
            run=services.ranking_refresh,
            command="refresh_ranking",
        )
        periodic.register(
            "purge old reader history",
            every_seconds=3600,
            run=services.history_purge,
            command="purge_history",
        )
