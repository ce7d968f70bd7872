"""The Analytics menu and pages in the Wagtail admin, for users with dashboard.view_analytics
(Editors and Moderators have it; see migration 0002)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.auth import permission_required
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from masthead.dashboard import views

PAGES = [
    ("Overview", "dashboard_overview", "view"),
    ("Widgets", "dashboard_widgets", "list-ul"),
    ("Search", "dashboard_search", "search"),
    ("Ingestion", "dashboard_ingestion", "download"),
]


class AnalyticsItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(views.PERMISSION)


@hooks.register("register_admin_urls")
def urls():
    guard = permission_required(views.PERMISSION)
    return [
        path("analytics/", guard(views.overview), name="dashboard_overview"),
        path(
            "analytics/articles/<int:article_id>/", guard(views.article), name="dashboard_article"
        ),
        path("analytics/widgets/", guard(views.widgets), name="dashboard_widgets"),
        path("analytics/search/", guard(views.search), name="dashboard_search"),
        path("analytics/ingestion/", guard(views.ingestion), name="dashboard_ingestion"),
    ]


@hooks.register("register_admin_menu_item")
def menu_item():
    items = [
        AnalyticsItem(label, reverse(name), name=name, icon_name=icon, order=i)
        for i, (label, name, icon) in enumerate(PAGES)
    ]
    return SubmenuMenuItem(
        "Analytics", Menu(items=items), icon_name="view", order=240, name="analytics"
    )
