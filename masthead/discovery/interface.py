"""The one interface templates and the API use for every article list.

Every list excludes the current article and anything no longer live, holds at most one article
per story, and gives each item a short reason. Lists are lookups of what `services` precomputed
(profiles, cached rankings), never a scan of the corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from wagtail.models import Page

from masthead.discovery.engine import RECOMMEND_WEIGHTS, blend
from masthead.discovery.models import ArticleProfile, RelatedOverride
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader
from masthead.engagement.selectors import ranking_cached_top, ranking_list
from masthead.ingest.models import Item
from masthead.news.cache import content_generation
from masthead.news.models import ArticlePage, ChannelPage, HomePage

RANKING_SIZE = 8
RELATED_SIZE = 10
LIKE_SIZE = 6
LIKE_MIN = 3
STORY_SIZE = 10
RECOMMEND_SIZE = 8
HISTORY_SIZE = 20
FRESH_POOL = 60
FRESH_HALF_LIFE_HOURS = 12
WINDOW = "24h"
LISTS_CACHE_SECONDS = 120

_WIRE_PREFIX = re.compile(r"^(?:[A-Z]{3,}(?: [0-9]+)?-)+")
_WORD = re.compile(r"\w+")

REASONS = {
    "trending": "Most read",
    "fresh": "Just published",
    "picks": "Editor's pick",
}


@dataclass(frozen=True)
class DiscoveryItem:
    article: Page
    reason: str
    score: float = 0.0


@dataclass(frozen=True)
class ArticleLists:
    related: list[DiscoveryItem]
    also_read: list[DiscoveryItem]
    story: list[DiscoveryItem]
    sources: list[ExternalSource] = ()  # near-copies ingestion kept as other sources


@dataclass(frozen=True)
class ExternalSource:
    name: str
    url: str
    title: str


def headline_key(title: str) -> str:
    """A title without wire prefixes ("UPDATE 1-"), case and punctuation."""
    return " ".join(_WORD.findall(_WIRE_PREFIX.sub("", title).lower()))


def one_per_story(
    items: list[DiscoveryItem], stories: dict[int, int], *, skip=(), skip_titles=()
) -> list[DiscoveryItem]:
    """Keep the first item of each story, and of each headline: two different stories under
    the same headline look like one story to a reader. Nothing from `skip` stories or titles."""
    seen = set(skip)
    titles = {headline_key(t) for t in skip_titles}
    out = []
    for item in items:
        story = stories.get(item.article.pk)
        title = headline_key(item.article.title)
        if (story is not None and story in seen) or title in titles:
            continue
        if story is not None:
            seen.add(story)
        titles.add(title)
        out.append(item)
    return out


def _live(ids) -> dict[int, ArticlePage]:
    fields = ("id", "title", "url_path", "path", "depth", "published_at", "source_name", "column")
    return ArticlePage.objects.live().only(*fields).in_bulk(list(dict.fromkeys(ids)))


def article_lists(article: ArticlePage) -> ArticleLists:
    """Related, Like and the article's story for one article page: a cache lookup, or four
    small queries (five when readers' co-visitation fills Like). Publishing anything starts a
    new cache generation; lists recomputed in the background show within LISTS_CACHE_SECONDS."""
    key = f"discovery:lists:{article.pk}:{content_generation()}"
    found = cache.get(key)
    if found is None:
        found = _article_lists(article)
        cache.set(key, found, timeout=LISTS_CACHE_SECONDS)
    return found


def _article_lists(article: ArticlePage) -> ArticleLists:
    profile = (
        ArticleProfile.objects.filter(pk=article.pk).values("story", "related", "also_read").first()
    )
    if profile is None:  # not indexed yet: the update task is on its way
        return ArticleLists([], [], [], _sources(article))
    overrides = list(
        RelatedOverride.objects.filter(page_id=article.pk)
        .order_by("sort_order")
        .values_list("article_id", "action")
    )
    members = list(
        ArticleProfile.objects.filter(story=profile["story"])
        .exclude(pk=article.pk)
        .order_by("-published_at")
        .values_list("article_id", flat=True)[: STORY_SIZE * 3]
    )
    pins = [a for a, action in overrides if action == RelatedOverride.PIN]
    blocked = {a for a, action in overrides if action == RelatedOverride.BLOCK} | {article.pk}
    related_rows = [r for r in profile["related"] if r[0] not in blocked]
    like_rows = [r for r in profile["also_read"] if r[0] not in blocked]
    live = _live([*pins, *(r[0] for r in related_rows), *(r[0] for r in like_rows), *members])
    # Stories as they are now, not as the lists stored them: the story desk may have changed them.
    stories = _stories([*pins, *(r[0] for r in related_rows), *(r[0] for r in like_rows)])
    own = {profile["story"]}

    related = [DiscoveryItem(live[a], "Editor's choice") for a in pins if a in live]
    related += [DiscoveryItem(live[r[0]], r[2], r[1]) for r in related_rows if r[0] in live]
    related = one_per_story(related, stories, skip=own, skip_titles=[article.title])
    related, more_related = related[:RELATED_SIZE], related[RELATED_SIZE:]

    like = [DiscoveryItem(live[r[0]], r[2], r[1]) for r in like_rows if r[0] in live]
    like = one_per_story(like, stories, skip=own, skip_titles=[article.title])
    if len(like) < LIKE_MIN:  # too little traffic yet: the Related items not shown fill in
        like = one_per_story(like + more_related, stories, skip=own, skip_titles=[article.title])
    if len(like) < LIKE_MIN:
        like = one_per_story(like + related, stories, skip=own, skip_titles=[article.title])
    story = [DiscoveryItem(live[a], "Same story") for a in members if a in live][:STORY_SIZE]
    return ArticleLists(related, like[:LIKE_SIZE], story, _sources(article))


def _sources(article: ArticlePage) -> list[ExternalSource]:
    """Other outlets' copies of this story that ingestion recorded instead of publishing."""
    seen, out = set(), []
    for credit, name, url, title in (
        Item.objects.filter(article_id=article.pk, status=Item.NEAR_DUPLICATE)
        .exclude(url="")
        .values_list("source__credit", "source__name", "url", "title")[:STORY_SIZE]
    ):
        if url not in seen:
            seen.add(url)
            out.append(ExternalSource(credit or name, url, title))
    return out


def related(article: ArticlePage) -> list[DiscoveryItem]:
    return article_lists(article).related


def also_read(article: ArticlePage) -> list[DiscoveryItem]:
    return article_lists(article).also_read


def story(article: ArticlePage) -> list[DiscoveryItem]:
    return article_lists(article).story


def ranking(
    *, within: Page, window: str = WINDOW, limit: int = RANKING_SIZE
) -> list[DiscoveryItem]:
    """Most read now under `within`: the home page (site-wide) or a channel (with sub-channels)."""
    is_site = within.depth <= 2
    reason = REASONS["trending"] if is_site else f"Trending in {within.title}"
    ranked = ranking_list(window=window, within_path=within.path, limit=limit * 2)
    items = [DiscoveryItem(r.article, reason, r.score) for r in ranked]
    return one_per_story(items, _stories([i.article.pk for i in items]))[:limit]


def _stories(ids) -> dict[int, int]:
    return dict(ArticleProfile.objects.filter(pk__in=list(ids)).values_list("article_id", "story"))


def _fresh_and_picks() -> tuple[list[tuple[int, float]], list[int], dict[str, str], str]:
    """Newest live articles (id, published timestamp), editors' picks, channel titles, site path;
    cached until the content changes."""
    key = f"discovery:fresh:{content_generation()}"
    found = cache.get(key)
    if found is None:
        fresh = [
            (pk, at.timestamp())
            for pk, at in ArticlePage.objects.live()
            .order_by("-published_at", "-id")
            .values_list("id", "published_at")[:FRESH_POOL]
        ]
        home = HomePage.objects.live().first()
        picks = list(home.pinned_stories.values_list("article_id", flat=True)) if home else []
        channels = dict(ChannelPage.objects.live().values_list("path", "title"))
        found = (fresh, picks, channels, home.path if home else "")
        cache.set(key, found, timeout=3600)
    return found


def is_personal(reader: Reader | None) -> bool:
    """Whether a reader gets a list of their own: not new, and not asking for privacy."""
    return reader is not None and not reader.is_private and not reader.is_new


def recommend(
    reader: Reader | None,
    context_article: ArticlePage | None = None,
    *,
    limit: int = RECOMMEND_SIZE,
) -> list[DiscoveryItem]:
    """Picked for this reader: from what they read (co-visitation and content neighbours), what
    is trending in their channels, fresh articles and editors' picks, blended. The site's
    current top of Ranking is left out: the page shows it in the Ranking widget.

    New and private (GPC/DNT) readers get the same non-personal list as the cached page.
    """
    fresh, picks, channels, site_path = _fresh_and_picks()
    now = max((t for _, t in fresh), default=0.0)
    sources: dict[str, dict[int, float]] = {
        "fresh": {a: 0.5 ** ((now - t) / 3600 / FRESH_HALF_LIFE_HOURS) for a, t in fresh},
        "picks": {a: 1.0 for a in picks},
        "trending": _ranked(site_path),
    }
    reasons: dict[tuple[str, int], str] = {}
    exclude = {context_article.pk} if context_article else set()
    # The Ranking widget beside it already shows the site's most read: do not repeat them.
    exclude |= set(list(sources["trending"])[:RANKING_SIZE])
    personal = is_personal(reader)
    if personal:
        history = list(
            ReaderView.objects.filter(reader_id=reader.id)
            .order_by("-viewed_at")
            .values_list("article_id", flat=True)[:HISTORY_SIZE]
        )
        exclude |= set(history)
        profiles = {
            p["article_id"]: p
            for p in ArticleProfile.objects.filter(pk__in=history).values(
                "article_id", "related", "also_read", "channel_path"
            )
        }
        titles = dict(ArticlePage.objects.filter(pk__in=history).values_list("id", "title"))
        sources["covisit"], sources["content"] = {}, {}
        for rank, article_id in enumerate(dict.fromkeys(history)):
            profile = profiles.get(article_id)
            if profile is None:
                continue
            weight = 0.5 ** (rank / 5)
            because = f"Because you read “{titles.get(article_id, '')}”"
            for name, rows in (("covisit", profile["also_read"]), ("content", profile["related"])):
                for row in rows:
                    score = weight * row[1]
                    if score > sources[name].get(row[0], 0):
                        sources[name][row[0]] = score
                        reasons[(name, row[0])] = because
        affinity = Counter(p["channel_path"] for p in profiles.values())
        sources["trending_channel"] = {}
        for path, count in affinity.most_common(3):
            for article_id, score in _ranked(path).items():
                value = count / len(profiles) * score
                if value > sources["trending_channel"].get(article_id, 0):
                    sources["trending_channel"][article_id] = value
                    reasons[("trending_channel", article_id)] = (
                        f"Trending in {channels.get(path, 'your sections')}"
                    )
    for scores in sources.values():
        for article_id in exclude:
            scores.pop(article_id, None)
    total = blend(sources, RECOMMEND_WEIGHTS)
    order = sorted(total, key=lambda a: (-total[a], a))[: limit * 3]
    live = _live(order)
    stories = _stories(order)
    items = []
    for article_id in order:
        if article_id not in live:
            continue
        source = max(
            (name for name in sources if article_id in sources[name]),
            key=lambda name: (
                RECOMMEND_WEIGHTS.get(name, 0)
                * sources[name][article_id]
                / max(sources[name].values())
            ),
        )
        reason = reasons.get((source, article_id), REASONS.get(source, "Picked for you"))
        items.append(DiscoveryItem(live[article_id], reason, total[article_id]))
    skip = [context_article.title] if context_article else []
    return one_per_story(items, stories, skip_titles=skip)[:limit]


def _ranked(path: str) -> dict[int, float]:
    """A cached Ranking list as scores (best = 1)."""
    top = ranking_cached_top(window=WINDOW, within_path=path) if path else []
    best = top[0][1] if top else 1.0
    return {a: s / best for a, s in top[:50] if best > 0}
