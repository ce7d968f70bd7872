from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "masthead.dashboard"
    label = "dashboard"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.dashboard import panels

        panels.article_tab_add()
