"""Does Recommendation follow the reader? Measured on the site as it serves readers.

Simulated readers with one clear preference (a top-level channel) each read a few stories of it;
then, on the article page of their last read, their personal list (`interface.recommend`, as the
reader-context endpoint serves it) is compared with the list a new reader gets on the same page:
the share of items from the reader's channel, the share sharing one of the reader's top tags, and
how many items are copies of stories the reader has read (must be 0). Everything is written in a
transaction that is rolled back, so the site is left as it was.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from masthead.discovery import interface
from masthead.discovery.models import ArticleProfile
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader
from masthead.news.models import ArticlePage, ArticleTag, StoryEntry
from masthead.news.tree import section_path

READS = 5
TOP_TAGS = 5


@dataclass(frozen=True)
class Row:
    channel_share: float
    topic_share: float
    read_story_copies: int


@dataclass(frozen=True)
class _Seen:
    """What one simulated reader prefers and has read."""

    section: str
    top_tags: set[str]
    read_stories: set[int]

    def row(
        self,
        items: list[interface.DiscoveryItem],
        profiles: dict[int, tuple[str, int]],
        tags: dict[int, set[str]],
    ) -> Row:
        ids = [i.article.pk for i in items]
        size = max(len(ids), 1)
        return Row(
            sum(profiles[a][0] == self.section for a in ids) / size,
            sum(bool(tags.get(a, set()) & self.top_tags) for a in ids) / size,
            sum(profiles[a][1] in self.read_stories for a in ids),
        )


class _Rollback(Exception):
    pass


def personalization_measure(*, readers: int = 50, seed: int = 0) -> dict[str, float]:
    """Mean shares over `readers` simulated readers, personal and anonymous lists side by side."""
    result: dict[str, float] = {}
    try:
        with transaction.atomic():
            result = _measure(readers=readers, seed=seed)
            raise _Rollback
    except _Rollback:
        pass
    return result


def _leads_by_section() -> dict[str, list[int]]:
    """Each top-level channel's story leads (unclustered articles count as leads), newest first."""
    copies = set(StoryEntry.objects.filter(is_lead=False).values_list("article_id", flat=True))
    sections: dict[str, list[int]] = {}
    for article_id, path in ArticleProfile.objects.order_by("-published_at").values_list(
        "article_id", "channel_path"
    ):
        if article_id not in copies:
            sections.setdefault(section_path(path), []).append(article_id)
    return sections


def _measure(*, readers: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    sections = {s: ids for s, ids in _leads_by_section().items() if len(ids) >= 2 * READS}
    profiles = {
        a: (section_path(path), story)
        for a, path, story in ArticleProfile.objects.values_list(
            "article_id", "channel_path", "story"
        )
    }
    tags: dict[int, set[str]] = {}
    for article_id, name in ArticleTag.objects.values_list("content_object_id", "tag__name"):
        tags.setdefault(article_id, set()).add(name)
    personal: list[Row] = []
    anonymous: list[Row] = []
    now = timezone.now()
    for n in range(readers):
        if not sections:
            break
        favourite = rng.choice(sorted(sections))
        history = rng.sample(sections[favourite][: 4 * READS], READS)
        reader = Reader(id=f"{seed:08x}{n:024x}"[-32:], is_private=False, is_new=False)
        ReaderView.objects.bulk_create(
            ReaderView(reader_id=reader.id, article_id=a, viewed_at=now - timedelta(minutes=i))
            for i, a in enumerate(reversed(history))
        )
        context = ArticlePage.objects.live().get(pk=history[-1])
        top_tags = {
            t for t, _ in Counter(t for a in history for t in tags.get(a, ())).most_common(TOP_TAGS)
        }
        read_stories = {profiles[a][1] for a in history}

        seen = _Seen(favourite, top_tags, read_stories)
        personal.append(seen.row(interface.recommend(reader, context), profiles, tags))
        anonymous.append(seen.row(interface.recommend(None, context), profiles, tags))
    count = max(len(personal), 1)
    return {
        "readers": float(len(personal)),
        "channel_share_personal": sum(r.channel_share for r in personal) / count,
        "channel_share_anonymous": sum(r.channel_share for r in anonymous) / count,
        "topic_share_personal": sum(r.topic_share for r in personal) / count,
        "topic_share_anonymous": sum(r.topic_share for r in anonymous) / count,
        "read_story_copies": float(sum(r.read_story_copies for r in personal)),
    }
