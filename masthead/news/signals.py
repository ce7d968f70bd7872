"""Cached pages go stale whenever published content or the site set-up changes."""

from django.db.models.signals import post_delete, post_save
from wagtail.models import Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.news.cache import content_generation_bump


def content_changed(**kwargs) -> None:
    content_generation_bump()


def connect() -> None:
    page_published.connect(content_changed, dispatch_uid="masthead-page-published")
    page_unpublished.connect(content_changed, dispatch_uid="masthead-page-unpublished")
    post_page_move.connect(content_changed, dispatch_uid="masthead-page-moved")
    post_delete.connect(_page_deleted, dispatch_uid="masthead-page-deleted")
    post_save.connect(content_changed, sender=Site, dispatch_uid="masthead-site-saved")
    post_delete.connect(content_changed, sender=Site, dispatch_uid="masthead-site-deleted")


def _page_deleted(sender, instance, **kwargs) -> None:
    from wagtail.models import Page

    if isinstance(instance, Page) and instance.live:
        content_generation_bump()
