"""Cached pages follow content: each change purges the surrogate keys of what it affects."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.news import invalidation, selectors
from masthead.news.cache import ALL, NAV, keys_purge
from masthead.news.models import ArticlePage, Author, HomePage
from masthead.news.services import author_articles_match


def page_published_purge(sender, instance, **kwargs) -> None:
    if isinstance(instance, ArticlePage):
        invalidation.article_published(instance)
    elif isinstance(instance, HomePage):
        invalidation.home_changed(instance)
    else:
        invalidation.structure_changed(instance)


def page_unpublished_purge(sender, instance, **kwargs) -> None:
    if isinstance(instance, ArticlePage):
        invalidation.article_gone(instance)
    else:
        invalidation.structure_changed(instance)


def page_moved_purge(sender, instance, parent_page_before, **kwargs) -> None:
    specific = instance.specific_deferred
    if isinstance(specific, ArticlePage):
        invalidation.article_moved(specific, parent_before=parent_page_before)
    else:
        invalidation.structure_changed(instance)


def page_deleted_purge(sender, instance, **kwargs) -> None:
    if not isinstance(instance, Page) or not instance.live:
        return
    if isinstance(instance, ArticlePage):
        invalidation.article_gone(instance)
    elif type(instance) is not Page:  # the specific row follows the base row's deletion
        invalidation.structure_changed(instance)


def site_changed(**kwargs) -> None:
    keys_purge([NAV])


def view_restrictions_changed(**kwargs) -> None:
    """A page turned private (or public again): no cache may keep serving it to everyone."""
    cache.delete(selectors.VIEW_RESTRICTIONS_KEY)
    keys_purge([ALL])


def connect() -> None:
    page_published.connect(page_published_purge, dispatch_uid="masthead-page-published")
    page_unpublished.connect(page_unpublished_purge, dispatch_uid="masthead-page-unpublished")
    post_page_move.connect(page_moved_purge, dispatch_uid="masthead-page-moved")
    post_delete.connect(page_deleted_purge, dispatch_uid="masthead-page-deleted")
    post_save.connect(site_changed, sender=Site, dispatch_uid="masthead-site-saved")
    post_delete.connect(site_changed, sender=Site, dispatch_uid="masthead-site-deleted")
    for signal in (post_save, post_delete):
        signal.connect(
            view_restrictions_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"masthead-view-restriction-{signal is post_save}",
        )
    post_save.connect(author_saved, sender=Author, dispatch_uid="masthead-author-saved")
    post_delete.connect(author_deleted, sender=Author, dispatch_uid="masthead-author-deleted")


def author_saved(sender, instance: Author, **kwargs) -> None:
    # Articles written before the author page existed get linked to it now. Bylines appear on
    # many pages and authors change rarely: every cached page is refreshed.
    author_articles_match(author=instance)
    keys_purge([ALL])


def author_deleted(sender, instance: Author, **kwargs) -> None:
    keys_purge([ALL])
