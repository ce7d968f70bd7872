from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "masthead.engagement"
    label = "engagement"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.engagement import signals

        signals.connect()
