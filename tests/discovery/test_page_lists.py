"""The lists on served article pages: no repeats across lists, an honest Like, a Recommendation
that follows the reader and never offers another copy of what they read, specific reasons."""

import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from masthead.demo.services import corpus_generate
from masthead.discovery import interface, services
from masthead.discovery.models import ArticleProfile
from masthead.engagement import counters
from masthead.engagement import services as engagement
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader
from masthead.news.models import ArticlePage, ArticleTag

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0"
WIDGET = re.compile(r'data-widget="(\w+)"(.*?)</section>', re.S)
TARGET = re.compile(r'data-target="(\d+)"')
HEADING = re.compile(r'<h2 id="like-heading">([^<]+)</h2>')


@pytest.fixture
def indexed(corpus):
    services.index_rebuild()
    return corpus


def stories() -> dict[int, int]:
    return dict(ArticleProfile.objects.values_list("article_id", "story"))


def members(story: int) -> list[int]:
    return list(ArticleProfile.objects.filter(story=story).values_list("article_id", flat=True))


def widgets(html: str) -> dict[str, list[int]]:
    return {name: [int(i) for i in TARGET.findall(body)] for name, body in WIDGET.findall(html)}


def articles_with_copies() -> list[ArticlePage]:
    sizes = Counter(stories().values())
    ids = [a for a, s in stories().items() if sizes[s] > 1]
    return list(ArticlePage.objects.filter(pk__in=ids).order_by("pk")[:6])


def read_together(article_ids: list[int], *, readers: int, prefix: str = "r") -> None:
    """`readers` readers each read these articles, one after another, in one session. Every read
    falls in the same hour (the last full one): views count by the hour, and reads spread over
    the clock's hour boundary would rank differently with the minute the test runs at."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(minutes=30)
    for n in range(readers):
        reader = Reader(id=f"{prefix}{n:031x}"[-32:], is_private=False, is_new=False)
        for i, article_id in enumerate(article_ids):
            at = start + timedelta(seconds=i)
            engagement.view_record(reader=reader, article_id=article_id, at=at)
    counters.backend().flush()


def test_no_list_on_an_article_page_repeats_the_article_its_story_or_another_list(client, indexed):
    crowd = list(ArticlePage.objects.live().values_list("pk", flat=True))
    widgets_seen: set[str] = set()
    for article in articles_with_copies():
        own = members(stories()[article.pk])
        related = [i.article.pk for i in interface.article_lists(article).related]
        # Readers who make the article, its copies and its Related items the most read, and
        # co-visited with each other: a naive Ranking and Like would repeat them.
        read_together([*own, *related[:5]], readers=12, prefix=f"{article.pk}x")
        read_together(crowd, readers=3, prefix=f"{article.pk}c")
        services.like_refresh()
        cache.clear()  # lists cached before the traffic
        html = client.get(article.url).content.decode()
        lists = widgets(html)
        assert {"story", "related", "recommendation"} <= set(lists)
        widgets_seen.update(name for name, items in lists.items() if items)
        everything = [i for items in lists.values() for i in items]
        assert article.pk not in everything
        assert len(everything) == len(set(everything))
        by_story = stories()
        for name, items in lists.items():
            if name != "story":
                assert not set(items) & set(own), name
        owners = Counter(by_story.get(i) for items in lists.values() for i in set(items))
        listed_stories = {
            by_story.get(i) for name, items in lists.items() for i in items if name != "story"
        }
        assert all(owners[s] == 1 for s in listed_stories if s is not None)
    # On a site this small the lists above may leave Ranking empty (its own test shows it).
    assert "like" in widgets_seen


def test_ranking_never_shows_the_current_article(client, indexed):
    article = articles_with_copies()[0]
    read_together([article.pk], readers=30, prefix="rank")
    crowd = ArticlePage.objects.live().exclude(pk=article.pk).order_by("-pk")
    read_together(list(crowd.values_list("pk", flat=True)), readers=2, prefix="crowd")
    home = indexed
    assert article.pk in [i.article.pk for i in interface.ranking(within=home)]
    lists = widgets(client.get(article.url).content.decode())
    assert lists["ranking"] and article.pk not in lists["ranking"]


def test_without_co_visitation_like_is_labelled_more_on_this_subject_and_differs_from_related(
    client, indexed
):
    article = articles_with_copies()[0]
    html = client.get(article.url).content.decode()
    lists = widgets(html)
    if "like" in lists:
        assert HEADING.search(html).group(1) == interface.MORE_HEADING
        assert not set(lists["like"]) & set(lists["related"])
        by_story = stories()
        assert not {by_story[i] for i in lists["like"]} & {by_story[i] for i in lists["related"]}


def far_articles(article: ArticlePage, n: int) -> list[int]:
    """Live articles in neither the article's story nor its content lists (Related, and "More
    on this subject" while no co-visitation supports Like)."""
    lists = interface.article_lists(article)
    taken = {article.pk, *members(stories()[article.pk])}
    taken |= {i.article.pk for i in [*lists.related, *lists.like]}
    by_story = stories()
    out, seen = [], {by_story[a] for a in taken}
    for pk in ArticlePage.objects.live().order_by("-pk").values_list("pk", flat=True):
        if pk not in taken and by_story.get(pk) not in seen:
            out.append(pk)
            seen.add(by_story.get(pk))
        if len(out) == n:
            break
    return out


def test_like_shows_readers_co_visitation_when_enough_readers_support_it(client, indexed):
    article = articles_with_copies()[0]
    others = far_articles(article, 4)
    read_together([article.pk, *others], readers=services.LIKE_MIN_SUPPORT, prefix="like")
    services.like_refresh()
    cache.clear()  # lists cached before the traffic
    html = client.get(article.url).content.decode()
    assert HEADING.search(html).group(1) == interface.LIKE_HEADING
    assert set(widgets(html)["like"]) == set(others)


def test_like_ignores_co_visitation_below_the_minimum_support(client, indexed):
    article = articles_with_copies()[0]
    others = far_articles(article, 4)
    read_together([article.pk, *others], readers=services.LIKE_MIN_SUPPORT - 1, prefix="weak")
    services.like_refresh()
    cache.clear()
    html = client.get(article.url).content.decode()
    heading = HEADING.search(html)
    assert heading is None or heading.group(1) == interface.MORE_HEADING
    assert not set(widgets(html).get("like", [])) & set(others)


def reader_client(article_id: int) -> tuple[Client, str]:
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.get(f"/api/v1/articles/{article_id}/reader-context")
    return client, client.cookies["mh_reader"].value


def view(client: Client, article_id: int) -> None:
    response = client.post(
        "/api/v1/events",
        json.dumps({"type": "view", "article": article_id}),
        content_type="application/json",
    )
    assert response.status_code in (200, 202, 204)


def personal_list(client: Client, article_id: int) -> list[int]:
    body = client.get(f"/api/v1/articles/{article_id}/reader-context").json()
    assert body["recommendation_personal"] is True
    return [i["id"] for i in body["recommendation"]]


@pytest.fixture
def bigger(corpus):
    """A site big enough that a channel keeps stories the article page's own lists leave over."""
    corpus_generate(articles=400, seed=21, with_images=False)
    services.index_rebuild()
    return corpus


def test_recommendation_follows_a_readers_channel(bigger):
    by_story = stories()
    channel_of = dict(ArticleProfile.objects.values_list("article_id", "channel_path"))
    story_count = Counter(path for path, _ in {(channel_of[a], s) for a, s in by_story.items()})
    favourite = max(story_count, key=story_count.get)
    leads = {}
    for article_id in (
        ArticleProfile.objects.filter(channel_path=favourite)
        .order_by("published_at")
        .values_list("article_id", flat=True)
    ):
        leads.setdefault(by_story[article_id], article_id)
    history = list(leads.values())[:4]
    assert len(history) == 4
    # The crowd reads every channel, the others more: the anonymous list is mostly elsewhere.
    others = [a for a, path in channel_of.items() if path != favourite]
    read_together(others, readers=6, prefix="crowd")
    read_together([a for a, p in channel_of.items() if p == favourite], readers=3, prefix="fans")
    client, _ = reader_client(history[0])
    for article_id in history:
        view(client, article_id)
    counters.backend().flush()
    context = history[0]
    anonymous = Client().get(f"/api/v1/articles/{context}/reader-context").json()
    personal = personal_list(client, context)

    def share(items):
        return sum(channel_of[i] == favourite for i in items) / max(len(items), 1)

    anonymous_share = share([i["id"] for i in anonymous["recommendation"]])
    assert share(personal) >= anonymous_share + 0.25
    assert share(personal) >= 0.5


def test_recommendation_never_offers_another_copy_of_a_story_the_reader_read(indexed):
    by_story = stories()
    copied = [a for a in articles_with_copies()][:3]
    read_stories = {by_story[a.pk] for a in copied}
    copies = [m for s in read_stories for m in members(s) if m not in {a.pk for a in copied}]
    read_together(copies, readers=25, prefix="copy")  # the other copies are the most read
    client, _ = reader_client(copied[0].pk)
    for article in copied:
        view(client, article.pk)
    counters.backend().flush()
    assert ReaderView.objects.filter(article_id__in=[a.pk for a in copied]).exists()
    context = ArticlePage.objects.live().exclude(pk__in=[*copies, *[a.pk for a in copied]])
    context = context.exclude(pk__in=[a for a, s in by_story.items() if s in read_stories]).first()
    personal = personal_list(client, context.pk)
    assert personal
    assert not {by_story.get(i) for i in personal} & read_stories


def test_related_reasons_name_the_rarest_tag_the_two_articles_share(client, indexed):
    tags: dict[int, set[str]] = {}
    for article_id, name in ArticleTag.objects.values_list("content_object_id", "tag__name"):
        tags.setdefault(article_id, set()).add(name)
    live = set(ArticlePage.objects.live().values_list("pk", flat=True))
    df = Counter(n for a, names in tags.items() if a in live for n in names)
    checked = 0
    for article in ArticlePage.objects.live().order_by("pk")[:10]:
        for item in interface.article_lists(article).related:
            shared = tags.get(article.pk, set()) & tags.get(item.article.pk, set())
            if not shared or item.reason == "Editor's choice":
                continue
            rarest = min(shared, key=lambda n: (df[n], n))
            assert item.reason == f"Also about {rarest}"
            checked += 1
    assert checked
    common = [n for n, count in df.items() if count > 1]
    assert common  # some shared tags are broader than others, so the choice matters


CARD = re.compile(r'class="(?:card|lead-story)__title"><a href="([^"]+)"')


def test_the_home_pages_ranking_leaves_out_the_stories_its_listings_show(client, indexed):
    read_together(list(ArticlePage.objects.live().values_list("pk", flat=True)), readers=2)
    html = client.get("/").content.decode()
    by_url = {a.url: a.pk for a in ArticlePage.objects.live()}
    listed = [by_url[u] for u in CARD.findall(html)]
    ranking = widgets(html)["ranking"]
    assert ranking
    by_story = stories()
    assert not {by_story[a] for a in ranking} & {by_story[a] for a in listed}
