"""An "Analytics" tab on the article edit view: the article's views, where readers came from,
and a link to its full analytics page. Added from here so that `news` knows nothing of it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import ObjectList, Panel, TabbedInterface

from masthead.dashboard import selectors
from masthead.news.models import ArticlePage

PERMISSION = "dashboard.view_analytics"


class ArticleAnalyticsPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "dashboard/article_panel.html"

        def is_shown(self) -> bool:
            return bool(self.instance.pk) and self.request.user.has_perm(PERMISSION)

        @property
        def media(self) -> forms.Media:
            return forms.Media(
                js=["dashboard/vendor/chartjs/chart.umd.min.js", "dashboard/charts.js"],
                css={"all": ["dashboard/dashboard.css"]},
            )

        def get_context_data(self, parent_context=None) -> dict:
            context = super().get_context_data(parent_context)
            activity = selectors.article_activity(article=self.instance)
            context |= {
                "page": self.instance,
                "activity": activity,
                "views_total": sum(activity.lines["views"]),
                "reactions_total": sum(activity.lines["reactions"]),
                "sources": selectors.article_sources(article_id=self.instance.pk)[:5],
            }
            return context


def article_tab_add() -> None:
    """Give the article edit view the usual tabs plus Analytics (once)."""
    if "edit_handler" in ArticlePage.__dict__:
        return
    tabs = [
        ObjectList(ArticlePage.content_panels, heading=gettext_lazy("Content")),
        ObjectList(ArticlePage.promote_panels, heading=gettext_lazy("Promote")),
        ObjectList(ArticlePage.settings_panels, heading=gettext_lazy("Settings")),
        ObjectList([ArticleAnalyticsPanel()], heading="Analytics", permission=PERMISSION),
    ]
    base_form = getattr(ArticlePage, "base_form_class", None)
    ArticlePage.edit_handler = TabbedInterface(tabs, base_form_class=base_form)
