"""The story desk's admin pages and menu item."""

from django.urls import path, re_path, reverse
from wagtail import hooks
from wagtail.admin.auth import permission_required
from wagtail.admin.menu import MenuItem

from masthead.discovery import desk_views


class DeskItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(desk_views.PERMISSION)


@hooks.register("register_admin_urls")
def urls():
    guard = permission_required(desk_views.PERMISSION)
    return [
        path("stories/", guard(desk_views.desk_list), name="story_desk"),
        # Locked stories have numbers below zero.
        re_path(
            r"^stories/(?P<story>-?\d{1,18})/$",
            guard(desk_views.desk_story),
            name="story_desk_story",
        ),
    ]


@hooks.register("register_admin_menu_item")
def menu_item():
    return DeskItem(
        "Story desk", reverse("story_desk"), name="story_desk", icon_name="group", order=245
    )
