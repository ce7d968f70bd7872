"""What a change makes stale: the surrogate keys purged when a page is published, edited,
unpublished, moved or deleted.

An article's own key reaches every page that shows it (its page, listing cards, other articles'
lists). Listings that may gain or lose it (its channels, the site-wide latest, its tags, the
sitemaps) are purged only when its listing facts change: first publication, unpublishing, a new
date, channel or tag set. The facts of the last purge are kept in the cache for the comparison
once the change commits; when they are missing, the listings are purged to be safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from wagtail.models import Page

from masthead.batching import collected
from masthead.news.cache import (
    LATEST,
    NAV,
    SEARCH,
    SITEMAP,
    article_key,
    channel_key,
    keys_purge,
    lists_key,
    page_key,
    tag_key,
)
from masthead.news.models import ArticlePage, ArticleTag, ChannelPage
from masthead.news.tree import home_and_channel_paths

FACTS_PREFIX = "listing-facts:"
# Ids per query when reading many articles' listing facts (SQLite's bound-variable limit).
FACTS_BATCH = 500
# Inside `publishes_batched`: the articles published so far.
_published: ContextVar[list[ArticlePage] | None] = ContextVar(
    "masthead_published_batch", default=None
)


@dataclass(frozen=True)
class ListingFacts:
    """What decides which listings show an article."""

    published_at: float | None
    channel_ids: tuple[int, ...]
    tag_ids: tuple[int, ...]

    def keys(self) -> set[str]:
        return {
            *(channel_key(c) for c in self.channel_ids),
            *(tag_key(t) for t in self.tag_ids),
            LATEST,
            SITEMAP,
        }


def _channels_above(page: Page) -> tuple[int, ...]:
    return tuple(
        Page.objects.ancestor_of(page)
        .type(ChannelPage)
        .order_by("path")
        .values_list("pk", flat=True)
    )


def listing_facts(article: ArticlePage) -> ListingFacts:
    tags = ArticleTag.objects.filter(content_object_id=article.pk).values_list("tag_id", flat=True)
    return ListingFacts(
        published_at=article.published_at.timestamp() if article.published_at else None,
        channel_ids=_channels_above(article),
        tag_ids=tuple(sorted(tags)),
    )


def listing_keys_many(article_ids: Iterable[int]) -> set[str]:
    """The keys of every listing that shows (or may now show) any of the articles: their
    channel chains, their tags, the site-wide latest and the sitemaps; three queries per
    FACTS_BATCH articles, for regroupings that change many stories' leads at once."""
    ids = sorted(set(article_ids))
    if not ids:
        return set()
    channels = dict(ChannelPage.objects.values_list("path", "pk"))
    keys = {LATEST, SITEMAP}
    for start in range(0, len(ids), FACTS_BATCH):
        batch = ids[start : start + FACTS_BATCH]
        for path in ArticlePage.objects.filter(pk__in=batch).values_list("path", flat=True):
            keys |= {
                channel_key(channels[p]) for p in home_and_channel_paths(path) if p in channels
            }
        tags = ArticleTag.objects.filter(content_object_id__in=batch).values_list(
            "tag_id", flat=True
        )
        keys |= {tag_key(t) for t in tags}
    return keys


def listing_facts_many(articles: list[ArticlePage]) -> dict[int, ListingFacts]:
    """`listing_facts` of each article (by id), from the paths and dates they carry and two
    queries per FACTS_BATCH articles."""
    channels = dict(ChannelPage.objects.values_list("path", "pk"))
    tags: dict[int, list[int]] = {article.pk: [] for article in articles}
    ids = sorted(tags)
    for start in range(0, len(ids), FACTS_BATCH):
        rows = ArticleTag.objects.filter(content_object_id__in=ids[start : start + FACTS_BATCH])
        for article_id, tag_id in rows.values_list("content_object_id", "tag_id"):
            tags[article_id].append(tag_id)
    return {
        article.pk: ListingFacts(
            published_at=article.published_at.timestamp() if article.published_at else None,
            channel_ids=tuple(
                channels[p] for p in home_and_channel_paths(article.path) if p in channels
            ),
            tag_ids=tuple(sorted(tags[article.pk])),
        )
        for article in articles
    }


@contextmanager
def publishes_batched() -> Iterator[None]:
    """Articles published inside the block are handled together as it ends (`articles_published`):
    a bulk write of many articles reads their listing facts at once, not two queries each."""
    with collected(_published, list) as articles:
        yield
    if articles is not None:  # None inside an outer block, which handles them all
        articles_published(articles)


def articles_published(articles: list[ArticlePage]) -> None:
    """`article_published` for many articles at once: the same keys purged, the same facts kept."""
    if not articles:
        return
    facts = listing_facts_many(articles)
    old = cache.get_many([FACTS_PREFIX + str(article.pk) for article in articles])
    keys = {SITEMAP, SEARCH}
    for article in articles:
        before, new = old.get(FACTS_PREFIX + str(article.pk)), facts[article.pk]
        keys |= {article_key(article.pk), lists_key(article.pk)}
        if before != new:
            keys |= new.keys() | (before.keys() if before else set())
    _facts_keep({FACTS_PREFIX + str(pk): found for pk, found in facts.items()})
    keys_purge(keys)


def article_published(article: ArticlePage) -> None:
    """Published or edited: its pages, and the listings it enters or moves in (inside
    `publishes_batched`, when the block ends)."""
    batch = _published.get()
    if batch is not None:
        batch.append(article)
        return
    new = listing_facts(article)
    old: ListingFacts | None = cache.get(FACTS_PREFIX + str(article.pk))
    keys = {article_key(article.pk), lists_key(article.pk), SITEMAP, SEARCH}
    if old != new:
        keys |= new.keys() | (old.keys() if old else set())
    _facts_keep({FACTS_PREFIX + str(article.pk): new})
    keys_purge(keys)


def _facts_keep(facts: dict[str, ListingFacts]) -> None:
    """Remember the facts once the change commits: kept from a write that rolls back, they
    would match a later publish of the same id and date, which would then skip its listings."""
    transaction.on_commit(lambda: cache.set_many(facts, timeout=None))


def _facts_forget(article_id: int) -> None:
    """Forget the facts once the change commits, in order with `_facts_keep`: a publish and an
    unpublish in one transaction end with none kept."""
    transaction.on_commit(lambda: cache.delete(FACTS_PREFIX + str(article_id)))


def article_gone(article: ArticlePage) -> None:
    """Unpublished or deleted: every page that showed it and every listing it leaves."""
    old: ListingFacts | None = cache.get(FACTS_PREFIX + str(article.pk))
    keys = {article_key(article.pk), lists_key(article.pk), LATEST, SITEMAP, SEARCH}
    keys |= old.keys() if old else {channel_key(c) for c in _channels_above(article)}
    _facts_forget(article.pk)
    keys_purge(keys)


def article_moved(article: ArticlePage, *, parent_before: Page) -> None:
    """Moved to another channel: it leaves the old channels' listings and enters the new ones."""
    before = {channel_key(c) for c in _channels_above(parent_before)}
    if isinstance(parent_before.specific_deferred, ChannelPage):
        before.add(channel_key(parent_before.pk))
    _facts_forget(article.pk)
    keys_purge(before)
    article_published(article)


def structure_changed(page: Page) -> None:
    """A channel or the home page changed, was moved or deleted: its own page, and (through the
    navigation and breadcrumbs every page shows) all pages."""
    keys_purge({page_key(page.pk), channel_key(page.pk), NAV})


def home_changed(page: Page) -> None:
    """The home page's own fields (intro, pinned stories) show only on the home page."""
    keys_purge({page_key(page.pk)})
