from django.apps import AppConfig
from django.core.management import call_command

from masthead import periodic


class DashboardConfig(AppConfig):
    name = "masthead.dashboard"
    label = "dashboard"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.dashboard import panels

        panels.article_tab_add()
        periodic.register(
            "roll up analytics",
            every_seconds=300,
            run=lambda: call_command("dashboard_rollup", verbosity=0),
            command="dashboard_rollup",
        )
