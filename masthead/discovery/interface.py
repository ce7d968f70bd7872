"""The one interface templates and the API use for every article list.

Every list excludes the current article and anything no longer live, holds at most one article
per story, and gives each item a short reason. Lists are lookups of what `services` precomputed
(profiles, cached rankings), never a scan of the corpus.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from django.conf import settings
from wagtail.models import Page

from masthead.discovery.models import ArticleProfile, RelatedOverride
from masthead.discovery.recommend import (
    HISTORY_SIZE,
    TOP_CHANNELS,
    Read,
    Scored,
    Signals,
    recommend_score,
)
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader
from masthead.engagement.selectors import RANKING_DEPTH, ranking_cached_top, ranking_list
from masthead.news.cache import (
    LATEST,
    RANKING,
    cached_with_keys,
    keys_record,
    keys_record_articles,
    lists_key,
    page_key,
)
from masthead.news.models import ArticlePage, ChannelPage, HomePage
from masthead.news.stories import headline_key
from masthead.news.tree import is_site_wide

RANKING_SIZE = 8
RELATED_SIZE = 10
LIKE_SIZE = 6
LIKE_MIN = 3  # fewer co-visited items than this after the lists above: no Like list
STORY_SIZE = 10
RECOMMEND_SIZE = 8
FRESH_POOL = 60
WINDOW = "24h"
# Lists live until discovery changes them or an article in them changes (surrogate keys).
LISTS_CACHE_SECONDS = 6 * 3600
# The non-personal Recommendation is volatile (fresh and trending): recomputed this often.
RECOMMEND_CACHE_SECONDS = 60
LIKE_HEADING = "Like"
MORE_HEADING = "More on this subject"
MORE_REASON = "More on this subject"

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
    story: int | None = None


@dataclass(frozen=True)
class ArticleLists:
    """An article page's lists, in precedence order story > related > like: no list repeats
    the article, its story, or a story an earlier list shows. `like` is readers' co-visitation
    when LIKE_MIN items of it remain, else further Related items under MORE_HEADING, else empty.
    """

    related: list[DiscoveryItem]
    like: list[DiscoveryItem]
    story: list[DiscoveryItem]
    like_heading: str = LIKE_HEADING
    own_story: int | None = None


@dataclass
class Shown:
    """What a page already shows, so later lists leave it out: articles, stories, headlines
    (two stories under one headline look like one story to a reader)."""

    ids: set[int] = field(default_factory=set)
    stories: set[int] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)

    @classmethod
    def on_article_page(cls, article: Page, lists: ArticleLists) -> Shown:
        shown = cls()
        shown.add(DiscoveryItem(article, "", story=lists.own_story))
        for items in (lists.story, lists.related, lists.like):
            for item in items:
                shown.add(item)
        return shown

    def add(self, item: DiscoveryItem) -> None:
        self.ids.add(item.article.pk)
        self.titles.add(headline_key(item.article.title))
        if item.story is not None:
            self.stories.add(item.story)

    def has(self, item: DiscoveryItem) -> bool:
        return (
            item.article.pk in self.ids
            or (item.story is not None and item.story in self.stories)
            or headline_key(item.article.title) in self.titles
        )

    def take(self, items: list[DiscoveryItem], limit: int | None = None) -> list[DiscoveryItem]:
        """The items not shown yet, one per story and headline, marking them shown."""
        out: list[DiscoveryItem] = []
        for item in items:
            if limit is not None and len(out) == limit:
                break
            if not self.has(item):
                self.add(item)
                out.append(item)
        return out


def one_per_story(
    items: list[DiscoveryItem], stories: dict[int, int], *, skip=(), skip_titles=()
) -> list[DiscoveryItem]:
    """Keep the first item of each story, and of each headline. Nothing from `skip` stories or
    titles."""
    shown = Shown(stories=set(skip), titles={headline_key(t) for t in skip_titles})
    return shown.take([replace(i, story=stories.get(i.article.pk, i.story)) for i in items])


def _live(ids) -> dict[int, ArticlePage]:
    fields = ("id", "title", "url_path", "path", "depth", "published_at", "source_name", "column")
    return ArticlePage.objects.live().only(*fields).in_bulk(list(dict.fromkeys(ids)))


def article_lists(article: ArticlePage) -> ArticleLists:
    """Related, Like and the article's story for one article page: a cache lookup, or four
    small queries (five when readers' co-visitation fills Like). Cached until discovery updates
    this article's lists or an article in them changes."""

    def build() -> ArticleLists:
        found = _article_lists(article)
        keys_record(lists_key(article.pk))
        keys_record_articles(i.article for i in (*found.related, *found.like, *found.story))
        return found

    return cached_with_keys(f"discovery:lists:{article.pk}", build, timeout=LISTS_CACHE_SECONDS)


def _article_lists(article: ArticlePage) -> ArticleLists:
    profile = (
        ArticleProfile.objects.filter(pk=article.pk).values("story", "related", "like").first()
    )
    if profile is None:  # not indexed yet: the update task is on its way
        return ArticleLists([], [], [])
    overrides = list(
        RelatedOverride.objects.filter(page_id=article.pk)
        .order_by("sort_order")
        .values_list("article_id", "action")
    )
    own = profile["story"]
    members = list(
        ArticleProfile.objects.filter(story=own)
        .exclude(pk=article.pk)
        .order_by("-published_at")
        .values_list("article_id", flat=True)[: STORY_SIZE * 3]
    )
    pins = [a for a, action in overrides if action == RelatedOverride.PIN]
    blocked = {a for a, action in overrides if action == RelatedOverride.BLOCK} | {article.pk}
    related_rows = [r for r in profile["related"] if r[0] not in blocked]
    like_rows = [r for r in profile["like"] if r[0] not in blocked]
    live = _live([*pins, *(r[0] for r in related_rows), *(r[0] for r in like_rows), *members])
    # Stories as they are now, not as the lists stored them: the story desk may have changed them.
    stories = _stories([*pins, *(r[0] for r in related_rows), *(r[0] for r in like_rows)])

    def item(article_id: int, reason: str, score: float = 0.0) -> DiscoveryItem:
        return DiscoveryItem(live[article_id], reason, score, stories.get(article_id))

    shown = Shown()
    shown.add(DiscoveryItem(article, "", story=own))
    story = [DiscoveryItem(live[a], "Same story", story=own) for a in members if a in live]
    story = story[:STORY_SIZE]
    for member in story:
        shown.add(member)
    related = [item(a, "Editor's choice") for a in pins if a in live]
    related += [item(r[0], r[2], r[1]) for r in related_rows if r[0] in live]
    more = Shown(set(shown.ids), set(shown.stories), set(shown.titles))
    related = shown.take(related, RELATED_SIZE)
    like = shown.take([item(r[0], r[2], r[1]) for r in like_rows if r[0] in live], LIKE_SIZE)
    heading = LIKE_HEADING
    if len(like) < LIKE_MIN:
        # Too little co-visitation to say "readers also read": offer the Related candidates
        # that did not make Related, under a name that says what they are.
        more.ids |= {i.article.pk for i in related}
        more.stories |= {i.story for i in related if i.story is not None}
        more.titles |= {headline_key(i.article.title) for i in related}
        rest = [item(r[0], MORE_REASON, r[1]) for r in related_rows if r[0] in live]
        like, heading = more.take(rest, LIKE_SIZE), MORE_HEADING
        if len(like) < LIKE_MIN:
            like = []
    return ArticleLists(related, like, story, heading, own)


def related(article: ArticlePage) -> list[DiscoveryItem]:
    return article_lists(article).related


def like(article: ArticlePage) -> list[DiscoveryItem]:
    return article_lists(article).like


def story(article: ArticlePage) -> list[DiscoveryItem]:
    return article_lists(article).story


def ranking(
    *,
    within: Page,
    window: str = WINDOW,
    limit: int = RANKING_SIZE,
    shown: Shown | None = None,
) -> list[DiscoveryItem]:
    """Most read now under `within`: the home page (site-wide) or a channel (with sub-channels);
    nothing `shown` already holds."""
    seen = Shown(set(shown.ids), set(shown.stories), set(shown.titles)) if shown else Shown()
    taken = seen.take(_ranking_items(within=within, window=window), limit)
    keys_record_articles(item.article for item in taken)
    return taken


def _ranking_items(*, within: Page, window: str) -> list[DiscoveryItem]:
    """The whole Ranking list under `within` as items, built once for every page that shows
    it (each leaves out what it shows itself) until the periodic refresh purges RANKING or an
    article in it changes."""

    def build() -> list[DiscoveryItem]:
        reason = REASONS["trending"] if is_site_wide(within) else f"Trending in {within.title}"
        ranked = ranking_list(window=window, within_path=within.path, limit=RANKING_DEPTH)
        stories = _stories([r.article.pk for r in ranked])
        keys_record(RANKING)
        keys_record_articles(r.article for r in ranked)
        return [
            DiscoveryItem(r.article, reason, r.score, stories.get(r.article.pk)) for r in ranked
        ]

    # As long as the list it is made of (the periodic refresh also purges RANKING).
    seconds = settings.MASTHEAD_RANKING_CACHE_SECONDS
    return cached_with_keys(f"discovery:ranking:{window}:{within.path}", build, timeout=seconds)


@dataclass(frozen=True)
class Sidebar:
    recommendation: list[DiscoveryItem]
    ranking: list[DiscoveryItem]


def article_sidebar(article: ArticlePage, *, within: Page) -> Sidebar:
    """The article page's non-personal Recommendation and its Ranking (most read under
    `within`), after the main lists: Recommendation leaves out what they show, Ranking also
    what Recommendation shows (precedence story > Related > Like > Recommendation > Ranking)."""
    lists = article_lists(article)
    shown = Shown.on_article_page(article, lists)
    recommendation = shown.take(recommend_for_page(article, limit=None), limit=RECOMMEND_SIZE)
    return Sidebar(recommendation, ranking(within=within, shown=shown))


def _stories(ids) -> dict[int, int]:
    return dict(ArticleProfile.objects.filter(pk__in=list(ids)).values_list("article_id", "story"))


def _fresh_and_picks() -> tuple[list[tuple[int, float]], list[int], dict[str, str], str]:
    """Newest live articles (id, published timestamp), editors' picks, channel titles, site path;
    cached until an article is published or the home page changes."""

    def build() -> tuple[list[tuple[int, float]], list[int], dict[str, str], str]:
        fresh = [
            (pk, at.timestamp())
            for pk, at in ArticlePage.objects.live()
            .order_by("-published_at", "-id")
            .values_list("id", "published_at")[:FRESH_POOL]
        ]
        home = HomePage.objects.live().first()
        picks = list(home.pinned_stories.values_list("article_id", flat=True)) if home else []
        channels = dict(ChannelPage.objects.live().values_list("path", "title"))
        keys_record(LATEST, *([page_key(home.pk)] if home else []))
        return fresh, picks, channels, home.path if home else ""

    return cached_with_keys("discovery:fresh", build, timeout=3600)


def is_personal(reader: Reader | None) -> bool:
    """Whether a reader gets a list of their own: not new, and not asking for privacy."""
    return reader is not None and not reader.is_private and not reader.is_new


def _history(reader_id: str) -> tuple[list[Read], set[int], dict[int, str]]:
    """The reader's recent reads as the scorer reads them, the stories they belong to, and
    their titles (three queries)."""
    history = list(
        ReaderView.objects.filter(reader_id=reader_id)
        .order_by("-viewed_at")
        .values_list("article_id", flat=True)[:HISTORY_SIZE]
    )
    profiles = {
        p["article_id"]: p
        for p in ArticleProfile.objects.filter(pk__in=history).values(
            "article_id", "related", "like", "channel_path", "story"
        )
    }
    titles = dict(ArticlePage.objects.filter(pk__in=history).values_list("id", "title"))
    reads = []
    for article_id in history:
        p = profiles.get(article_id)
        reads.append(
            Read(
                article_id,
                p["channel_path"],
                [(r[0], r[1]) for r in p["like"]],
                [(r[0], r[1]) for r in p["related"]],
            )
            if p
            else Read(article_id)
        )
    return reads, {p["story"] for p in profiles.values()}, titles


def recommend(
    reader: Reader | None,
    context_article: ArticlePage | None = None,
    *,
    limit: int = RECOMMEND_SIZE,
) -> list[DiscoveryItem]:
    """Picked for this reader by `recommend.recommend_score` from what they read (co-visitation
    and content neighbours, trending in their channels), trending, fresh articles and editors'
    picks. Never an article they read nor another copy of a story they read. On an article page
    it leaves out what the page's other lists show (for the personal list, Ranking too: the
    cached page shows it beside).

    New and private (GPC/DNT) readers get the same non-personal list as the cached page.
    """
    fresh, picks, channels, site_path = _fresh_and_picks()
    personal = reader is not None and is_personal(reader)
    reads, read_stories, titles = _history(reader.id) if personal and reader else ([], set(), {})
    signals = Signals(
        now=max((t for _, t in fresh), default=0.0),
        published=dict(fresh),
        trending=_ranked(site_path),
        channel_trending={
            path: _ranked(path)
            for path, _ in Counter(r.channel for r in reads if r.channel).most_common(TOP_CHANNELS)
        },
        picks=picks,
        history=reads,
    )
    shown = Shown(stories=set(read_stories))
    if context_article is not None:
        shown = Shown.on_article_page(context_article, article_lists(context_article))
        shown.stories |= read_stories
        home = HomePage.objects.live().first() if personal else None
        if home is not None:  # the cached page shows this Ranking beside the personal list
            for item in article_sidebar(context_article, within=home).ranking:
                shown.add(item)
    scored = recommend_score(signals, exclude=shown.ids, limit=limit * 4 + len(shown.ids))
    live = _live([s.id for s in scored])
    stories = _stories([s.id for s in scored])
    items = [
        DiscoveryItem(live[s.id], _reason(s, titles, channels), s.score, stories.get(s.id))
        for s in scored
        if s.id in live
    ]
    return shown.take(items, limit)


def _reason(scored: Scored, titles: dict[int, str], channels: dict[str, str]) -> str:
    if scored.source in ("like", "content") and isinstance(scored.because, int):
        return f"Because you read “{titles.get(scored.because, '')}”"
    if scored.source == "trending_channel" and isinstance(scored.because, str):
        return f"Trending in {channels.get(scored.because, 'your sections')}"
    return REASONS.get(scored.source, "Picked for you")


def recommend_for_page(
    article: ArticlePage, *, limit: int | None = RECOMMEND_SIZE
) -> list[DiscoveryItem]:
    """The non-personal Recommendation a cached article page carries: one site-wide list,
    recomputed every RECOMMEND_CACHE_SECONDS, without the article itself (`limit=None`: the
    whole shared list, for a caller that filters it further)."""

    def build() -> list[DiscoveryItem]:
        # Deep enough that a page's own lists can take their share and leave a full widget.
        items = recommend(None, limit=RECOMMEND_SIZE * 4)
        # Tied to its articles, so one that is withdrawn or changed leaves the list at once.
        keys_record(LATEST)
        keys_record_articles(item.article for item in items)
        return items

    shared = cached_with_keys("discovery:recommend:shared", build, timeout=RECOMMEND_CACHE_SECONDS)
    title = headline_key(article.title)
    return [
        item
        for item in shared
        if item.article.pk != article.pk and headline_key(item.article.title) != title
    ][:limit]


def _ranked(path: str) -> dict[int, float]:
    """A cached Ranking list as scores (best = 1)."""
    top = ranking_cached_top(window=WINDOW, within_path=path) if path else []
    best = top[0][1] if top else 1.0
    return {a: s / best for a, s in top[:50] if best > 0}
