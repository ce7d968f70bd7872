"""Sources and their items in the Wagtail admin, with each source's health."""

from django.urls import path
from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from masthead.ingest.models import Item, Source
from masthead.ingest.views import source_poll_view


class PollColumn(Column):
    cell_template_name = "ingest/poll_cell.html"


class SourceViewSet(SnippetViewSet):
    model = Source
    icon = "site"
    menu_label = "Sources"
    list_display = [
        "name",
        "format",
        "policy",
        DateColumn("last_polled_at", label="Last poll"),
        Column("items_seen", label="Seen"),
        Column("items_new", label="New"),
        Column("items_duplicate", label="Duplicate"),
        Column("items_held", label="Held"),
        Column("last_error", label="Last error"),
        DateColumn("last_error_at", label="Error at"),
        PollColumn("poll", label=""),
    ]
    list_filter = ["format", "policy", "enabled"]
    search_fields = ["name", "url"]


class ArticleColumn(Column):
    """The article an item became: its edit form and, once live, its public page."""

    cell_template_name = "ingest/article_cell.html"


class ReadOnly(ModelPermissionPolicy):
    """Items are the pipeline's record: editors read them and edit the articles instead."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_any_permission(user, ["view"])


register_permission_policy(Item, ReadOnly(Item))


class ItemViewSet(SnippetViewSet):
    model = Item
    icon = "doc-full"
    menu_label = "Ingested items"
    list_display = [
        "title",
        "source",
        "status",
        "reason",
        ArticleColumn("article", label="Article"),
        DateColumn("created_at", label="At"),
    ]
    list_filter = ["status", "source"]

    def get_queryset(self, request):
        # One join for the article column instead of a query per row.
        return Item.objects.select_related("source", "article")

    search_fields = ["title", "url"]
    inspect_view_enabled = True


class IngestionGroup(SnippetViewSetGroup):
    menu_label = "Ingestion"
    menu_icon = "download"
    menu_order = 250
    items = (SourceViewSet, ItemViewSet)


register_snippet(IngestionGroup)


@hooks.register("register_admin_urls")
def urls():
    return [path("ingest/sources/<int:pk>/poll/", source_poll_view, name="ingest_source_poll")]
