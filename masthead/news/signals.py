"""Cached pages go stale whenever published content or the site set-up changes."""

from django.db.models.signals import post_delete, post_save
from wagtail.models import Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.news.cache import content_generation_bump
from masthead.news.models import Author
from masthead.news.services import author_articles_match


def content_changed(**kwargs) -> None:
    content_generation_bump()


def connect() -> None:
    page_published.connect(content_changed, dispatch_uid="masthead-page-published")
    page_unpublished.connect(content_changed, dispatch_uid="masthead-page-unpublished")
    post_page_move.connect(content_changed, dispatch_uid="masthead-page-moved")
    post_delete.connect(_page_deleted, dispatch_uid="masthead-page-deleted")
    post_save.connect(content_changed, sender=Site, dispatch_uid="masthead-site-saved")
    post_delete.connect(content_changed, sender=Site, dispatch_uid="masthead-site-deleted")
    post_save.connect(_author_saved, sender=Author, dispatch_uid="masthead-author-saved")
    post_delete.connect(content_changed, sender=Author, dispatch_uid="masthead-author-deleted")


def _author_saved(sender, instance: Author, **kwargs) -> None:
    # Articles written before the author page existed get linked to it now.
    author_articles_match(author=instance)
    content_generation_bump()


def _page_deleted(sender, instance, **kwargs) -> None:
    from wagtail.models import Page

    if isinstance(instance, Page) and instance.live:
        content_generation_bump()
