"""Stories in listings: which copy of a story a listing shows, and keeping that choice stored.

Discovery decides which articles tell the same story (its clustering) and hands the grouping to
`story_entries_replace` / `story_entries_set` / `story_entries_set_many`; news owns the
editorial rule that picks the lead copy, and the small `StoryEntry` table listings join on. So
listings stay one indexed query and news never asks discovery anything
(docs/decisions/0005-story-aware-listings.md).

The lead rule, in order:
1. an article an editor pinned to the home page;
2. an original: neither a syndicated copy pointing its canonical URL at the source, nor a wire
   update ("UPDATE 1-", "REFILE-", "WRAPUP-" before the headline);
3. the earliest published; then the lowest id, so the choice is stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from wagtail.signals import page_published

from masthead.news.cache import ALL, PURGE_KEYS_MAX, SEARCH, article_key, keys_purge
from masthead.news.invalidation import listing_keys_many
from masthead.news.models import ArticlePage, HomePage, PinnedStory, StoryEntry

WRITE_BATCH = 1000

_WIRE_PREFIX = re.compile(r"^(?:[A-Z]{3,}(?: [0-9]+)?-)+")
_WORD = re.compile(r"\w+")


def headline_key(title: str) -> str:
    """A title without wire prefixes ("UPDATE 1-"), case and punctuation."""
    return " ".join(_WORD.findall(_WIRE_PREFIX.sub("", title).lower()))


def is_wire_update(title: str) -> bool:
    return bool(_WIRE_PREFIX.match(title))


@dataclass(frozen=True)
class Copy:
    """What the lead rule reads of one article."""

    id: int
    title: str
    is_canonical_at_source: bool
    published_at: datetime | None
    is_pinned: bool = False

    @property
    def is_original(self) -> bool:
        return not self.is_canonical_at_source and not is_wire_update(self.title)


def lead_rank(copy: Copy) -> tuple:
    """Sort key: the lowest is the story's lead (the rule in this module's docstring)."""
    published = copy.published_at.timestamp() if copy.published_at else float("inf")
    return (not copy.is_pinned, not copy.is_original, published, copy.id)


def story_lead(copies: Sequence[Copy]) -> Copy:
    return min(copies, key=lead_rank)


def _copies(article_ids: Iterable[int] | None) -> dict[int, Copy]:
    """The live ones among `article_ids` (all live articles for None), as the rule reads them
    (two queries)."""
    pinned = set(PinnedStory.objects.values_list("article_id", flat=True))
    rows = ArticlePage.objects.live()
    if article_ids is not None:
        rows = rows.filter(pk__in=list(article_ids))
    return {
        pk: Copy(pk, title, is_copy, published_at, is_pinned=pk in pinned)
        for pk, title, is_copy, published_at in rows.values_list(
            "id", "title", "is_canonical_at_source", "published_at"
        ).iterator(chunk_size=5000)
    }


def _entries(story: int, copies: Sequence[Copy]) -> list[StoryEntry]:
    lead = story_lead(copies)
    return [
        StoryEntry(
            article_id=c.id,
            story=story,
            lead_id=lead.id,
            is_lead=c.id == lead.id,
            source_count=len(copies),
        )
        for c in copies
    ]


def story_entries_replace(*, stories: Mapping[int, Sequence[int]]) -> int:
    """Store every story's members (story id -> article ids) in place of what was stored;
    returns the number of stories. Articles not live are left out. Only the pages showing an
    article whose listing entry changed (its lead or its count) are made stale."""
    copies = _copies(None)  # every live article: no id list the size of the corpus in SQL
    old = _shown_entries(StoryEntry.objects.values_list("article_id", "lead_id", "source_count"))
    new: dict[int, tuple[int, int]] = {}
    stored: set[int] = set()
    with transaction.atomic():
        StoryEntry.objects.all().delete()
        # Written a batch at a time: at 1,000,000 articles, a model instance per article held
        # at once took gigabytes.
        entries: list[StoryEntry] = []
        for story, members in stories.items():
            found = [copies[a] for a in members if a in copies]
            if not found:
                continue
            entries.extend(_entries(story, found))
            stored.add(story)
            if len(entries) >= WRITE_BATCH:
                new.update(_entries_store(entries))
                entries = []
        new.update(_entries_store(entries))
    changed = {a for a in old.keys() | new.keys() if old.get(a) != new.get(a)}
    _listings_purge(changed=changed & copies.keys(), old=old, new=new)
    return len(stored)


def _entries_store(entries: list[StoryEntry]) -> dict[int, tuple[int, int]]:
    """Insert `entries`; returns what listings show of each (`_shown_entries`)."""
    StoryEntry.objects.bulk_create(entries, batch_size=WRITE_BATCH)
    return _shown_entries((e.article_id, e.lead_id, e.source_count) for e in entries)


def _shown_entries(rows: Iterable[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    """Article id -> (lead id, source count): what a listing shows of its story."""
    return {article_id: (lead_id, count) for article_id, lead_id, count in rows}


def story_entries_set(*, story: int, article_ids: Sequence[int], gone: Sequence[int] = ()) -> bool:
    """Store one story's members (and forget `gone` articles); returns whether what listings
    show changed (a lead or a count), in which case cached listings are made stale."""
    copies = _copies(article_ids)
    new = _entries(story, list(copies.values())) if copies else []
    touched = [*article_ids, *gone]
    old = {
        e.article_id: (e.story, e.lead_id, e.source_count)
        for e in StoryEntry.objects.filter(Q(article_id__in=touched) | Q(story=story))
    }
    if old == {e.article_id: (e.story, e.lead_id, e.source_count) for e in new}:
        return False
    with transaction.atomic():
        StoryEntry.objects.filter(article_id__in=touched).delete()
        StoryEntry.objects.filter(story=story).exclude(article_id__in=touched).delete()
        StoryEntry.objects.bulk_create(new)
    _listings_purge(
        changed={*old, *(e.article_id for e in new)},
        old={a: (lead, count) for a, (_, lead, count) in old.items()},
        new=_shown_entries((e.article_id, e.lead_id, e.source_count) for e in new),
    )
    return True


def story_entries_set_many(*, stories: Mapping[int, Sequence[int]]) -> int:
    """`story_entries_set` for many stories at once (story id -> its article ids, each article in
    one of them): the same rows stored, in a few queries for all of them; the cached pages of
    every article whose listing entry changed are made stale once. Returns how many stories
    changed."""
    touched = [a for members in stories.values() for a in members]
    copies = _copies(touched)
    new = {
        story: _entries(story, found)
        for story, members in stories.items()
        if (found := [copies[a] for a in members if a in copies])
    }
    old_rows = {
        e.article_id: (e.story, e.lead_id, e.source_count)
        for e in StoryEntry.objects.filter(Q(article_id__in=touched) | Q(story__in=list(stories)))
    }
    changed: list[int] = []
    old: dict[int, tuple[int, int]] = {}
    for story, members in stories.items():
        mine = set(members)
        before = {a: row for a, row in old_rows.items() if a in mine or row[0] == story}
        after = {e.article_id: (e.story, e.lead_id, e.source_count) for e in new.get(story, [])}
        if before != after:
            changed.append(story)
            old.update({a: (lead, count) for a, (_, lead, count) in before.items()})
    if not changed:
        return 0
    members = [a for story in changed for a in stories[story]]
    entries = [e for story in changed for e in new.get(story, [])]
    with transaction.atomic():
        StoryEntry.objects.filter(Q(article_id__in=members) | Q(story__in=changed)).delete()
        StoryEntry.objects.bulk_create(entries, batch_size=WRITE_BATCH)
    _listings_purge(
        changed={*old, *(e.article_id for e in entries)},
        old=old,
        new=_shown_entries((e.article_id, e.lead_id, e.source_count) for e in entries),
    )
    return len(changed)


def _is_listed(article_id: int, entries: Mapping[int, tuple[int, int]]) -> bool:
    """Whether listings show the article: the lead of its story, or in no story."""
    return _shown(article_id, entries)[0] == article_id


def _shown(article_id: int, entries: Mapping[int, tuple[int, int]]) -> tuple[int, int]:
    """(lead id, source count) as listings show the article: one in no story yet lists as the
    lead of a story of its own, exactly as a story of one does."""
    return entries.get(article_id, (article_id, 1))


def _listings_purge(
    *, changed: set[int], old: Mapping[int, tuple[int, int]], new: Mapping[int, tuple[int, int]]
) -> None:
    """Refresh the pages that show an article whose listing entry changed (each card carries
    its article's key) and, for one that listings show from now on, the listings it enters;
    nothing else. A new article's own story of one changes nothing listings show."""
    changed = {a for a in changed if _shown(a, old) != _shown(a, new)}
    if not changed:
        return
    if len(changed) > PURGE_KEYS_MAX:  # a regrouping of most of the site: no lookups per article
        keys_purge([ALL])
        return
    entering = {a for a in changed if _is_listed(a, new) and not _is_listed(a, old)}
    keys_purge({SEARCH, *(article_key(a) for a in changed), *listing_keys_many(entering)})


def story_leads_refresh(*, article_ids: Iterable[int]) -> int:
    """Re-choose the leads of the stories these articles belong to (after an editor pins or
    unpins them on the home page); returns how many stories changed."""
    stories = set(
        StoryEntry.objects.filter(article_id__in=list(article_ids)).values_list("story", flat=True)
    )
    changed = 0
    for story in sorted(stories):
        members = list(StoryEntry.objects.filter(story=story).values_list("article_id", flat=True))
        changed += story_entries_set(story=story, article_ids=members)
    return changed


def _home_published(sender, instance, **kwargs) -> None:
    pinned = list(instance.pinned_stories.values_list("article_id", flat=True))
    transaction.on_commit(lambda: story_leads_refresh(article_ids=pinned))


def connect() -> None:
    """An editor's pins on the home page lead their stories from the next publish on."""
    page_published.connect(_home_published, sender=HomePage, dispatch_uid="masthead-story-pins")
