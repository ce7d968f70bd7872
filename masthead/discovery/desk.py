"""The story desk: editors look at story clusters and merge, split and lock them.

Every decision leaves the affected articles in an editor's grouping (`StoryGroup`), whose story
number is below zero. The clusterer treats such stories as closed (`engine.StoryIndex.is_closed`)
and a full rebuild restores them as they are (`services.index_rebuild`), so a decision survives
re-clustering until an editor unlocks the story. Profiles change at once, and the cached pages
that show a member of the stories involved (their own pages, lists and listings that show them)
are purged, so every list follows immediately and no other page is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from masthead.discovery.desk_models import StoryDecision, StoryGroup, StoryGroupMember
from masthead.discovery.models import ArticleProfile
from masthead.news.cache import SEARCH, article_key, keys_purge, lists_key
from masthead.news.models import ArticlePage
from masthead.news.stories import story_entries_set

DESK_DAYS = 14
DESK_SIZE = 50


class StoryDeskError(ValueError):
    """A decision that cannot be carried out (unknown story or article, or a no-op merge)."""


def story_members(*, story: int) -> list[int]:
    """Ids of the articles in a story, oldest first."""
    return list(
        ArticleProfile.objects.filter(story=story)
        .order_by("published_at", "article_id")
        .values_list("article_id", flat=True)
    )


def story_pins() -> dict[int, int]:
    """Article id -> story number of every article in an editor's grouping."""
    return {a: -g for a, g in StoryGroupMember.objects.values_list("article_id", "group_id")}


def _group_fill(group: StoryGroup, article_ids: list[int]) -> None:
    """Make `article_ids` exactly what `group` adds: taken from other groups, which are
    dropped when emptied, and their profiles moved to the group's story."""
    StoryGroupMember.objects.filter(article_id__in=article_ids).exclude(group=group).delete()
    have = set(StoryGroupMember.objects.filter(group=group).values_list("article_id", flat=True))
    StoryGroupMember.objects.bulk_create(
        [StoryGroupMember(group=group, article_id=a) for a in article_ids if a not in have]
    )
    StoryGroup.objects.exclude(pk=group.pk).filter(members__isnull=True).delete()
    ArticleProfile.objects.filter(pk__in=article_ids).update(
        story=group.story, updated_at=timezone.now()
    )


def _decided(kind: str, story: int, *, user=None, other: int | None = None, article=None) -> None:
    StoryDecision.objects.create(
        kind=kind, story=story, other_story=other, article_id=article, user=user
    )
    members: set[int] = set()
    for changed in {story} if other is None else {story, other}:
        found = story_members(story=changed)
        story_entries_set(story=changed, article_ids=found)
        members.update(found)
    # Before and after the decision, the members of these stories are the same articles: their
    # pages list each other, and every page showing one of them may now show it differently.
    keys_purge({SEARCH, *(article_key(a) for a in members), *(lists_key(a) for a in members)})


def _group_for(story: int) -> StoryGroup:
    """The editor's grouping of a story, or a new one for a clustered story."""
    if story < 0:
        group = StoryGroup.objects.filter(pk=-story).first()
        if group is not None:
            return group
    return StoryGroup.objects.create()


@transaction.atomic
def story_merge(*, story: int, into: int, user=None) -> int:
    """Put every article of `story` into `into`, locked together; returns the merged story."""
    if story == into:
        raise StoryDeskError("a story cannot be merged into itself")
    moving, staying = story_members(story=story), story_members(story=into)
    if not moving or not staying:
        raise StoryDeskError("no such story")
    group = _group_for(into)
    _group_fill(group, staying + moving)
    _decided(StoryDecision.Kind.MERGE, group.story, user=user, other=story)
    return group.story


@transaction.atomic
def story_split(*, article_id: int, user=None) -> int:
    """Take one article out of its story into a story of its own, locked; returns that story."""
    profile = ArticleProfile.objects.filter(pk=article_id).values("story").first()
    if profile is None:
        raise StoryDeskError("no such article in discovery")
    group = StoryGroup.objects.create()
    _group_fill(group, [article_id])
    _decided(
        StoryDecision.Kind.SPLIT, group.story, user=user, other=profile["story"], article=article_id
    )
    return group.story


@transaction.atomic
def story_lock(*, story: int, user=None) -> int:
    """Keep a story's articles together, and nothing else in it, through re-clustering."""
    members = story_members(story=story)
    if not members:
        raise StoryDeskError("no such story")
    group = _group_for(story)
    _group_fill(group, members)
    _decided(StoryDecision.Kind.LOCK, group.story, user=user, other=story)
    return group.story


@transaction.atomic
def story_unlock(*, story: int, user=None) -> int:
    """Hand a locked story back to the clusterer (under a new, open number); returns it."""
    group = StoryGroup.objects.filter(pk=-story).first() if story < 0 else None
    if group is None:
        raise StoryDeskError("that story is not locked")
    opened = (ArticleProfile.objects.aggregate(top=Max("story"))["top"] or 0) + 1
    ArticleProfile.objects.filter(story=story).update(story=opened, updated_at=timezone.now())
    group.delete()
    _decided(StoryDecision.Kind.UNLOCK, opened, user=user, other=story)
    return opened


@dataclass(frozen=True)
class StorySummary:
    story: int
    article_count: int
    first_at: datetime
    latest_at: datetime
    title: str
    is_locked: bool


def story_list_recent(*, days: int = DESK_DAYS, limit: int = DESK_SIZE) -> list[StorySummary]:
    """Stories with more than one article, or locked, published in the last `days`; latest first."""
    since = timezone.now() - timedelta(days=days)
    rows = list(
        ArticleProfile.objects.filter(published_at__gte=since)
        .values("story")
        .annotate(n=Count("article_id"), first=Min("published_at"), latest=Max("published_at"))
        .filter(n__gte=2)
        .order_by("-latest")[:limit]
    )
    locked = list(
        ArticleProfile.objects.filter(story__lt=0, published_at__gte=since)
        .values("story")
        .annotate(n=Count("article_id"), first=Min("published_at"), latest=Max("published_at"))
        .filter(n=1)
        .order_by("-latest")[:limit]
    )
    rows = sorted(rows + locked, key=lambda r: r["latest"], reverse=True)[:limit]
    titles = _lead_titles([r["story"] for r in rows])
    return [
        StorySummary(
            r["story"], r["n"], r["first"], r["latest"], titles.get(r["story"], ""), r["story"] < 0
        )
        for r in rows
    ]


def _lead_titles(stories: list[int]) -> dict[int, str]:
    """Story -> headline of its first article (two queries for any number of stories)."""
    leads: dict[int, int] = {}
    for story, article_id in (
        ArticleProfile.objects.filter(story__in=stories)
        .order_by("-published_at")
        .values_list("story", "article_id")
    ):
        leads[story] = article_id  # the last one written is the earliest
    titles = dict(ArticlePage.objects.filter(pk__in=leads.values()).values_list("id", "title"))
    return {story: titles.get(article_id, "") for story, article_id in leads.items()}


@dataclass(frozen=True)
class StoryMember:
    article: ArticlePage
    published_at: datetime
    source: str


def story_detail(*, story: int) -> list[StoryMember]:
    """A story's articles, oldest first, with their source (credit line)."""
    ids = story_members(story=story)
    pages = ArticlePage.objects.filter(pk__in=ids).only(
        "id", "title", "url_path", "path", "depth", "published_at", "source_name", "column", "live"
    )
    by_id = {p.pk: p for p in pages}
    return [
        StoryMember(by_id[a], by_id[a].published_at, by_id[a].source_name or by_id[a].column)
        for a in ids
        if a in by_id
    ]


def story_decisions(*, story: int | None = None, limit: int = 20) -> list[StoryDecision]:
    """The latest decisions, of one story or of all."""
    rows = StoryDecision.objects.select_related("article", "user").order_by("-decided_at")
    if story is not None:
        rows = rows.filter(story=story)
    return list(rows[:limit])
