from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "masthead.discovery"
    label = "discovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.discovery import signals

        signals.connect()
