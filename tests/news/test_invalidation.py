"""A change purges exactly the cached pages that showed what changed (or should now show it)."""

import time

import pytest
from django.core.cache import cache
from django.db import transaction
from wagtail.models import Page

from masthead.discovery import desk, interface
from masthead.discovery.services import article_update
from masthead.news import invalidation, selectors
from masthead.news.cache import (
    CLOCK_SKEW_SECONDS,
    LATEST,
    article_key,
    channel_key,
    content_generation,
    lists_key,
)
from masthead.news.models import ArticlePage, ChannelPage, StoryEntry
from masthead.news.stories import story_entries_replace


@pytest.fixture
def page_cache(settings):
    settings.MASTHEAD_PAGE_CACHE_SECONDS = 600


def keys_of(response) -> set[str]:
    return set(response["xkey"].split())


def warm(client, *paths) -> None:
    """Each path kept in the cache. A page built within CLOCK_SKEW_SECONDS of a purge of
    something it shows is not kept (the purge may have been meant for it): build it again."""
    for path in paths:
        if client.get(path)["X-Cache"] != "hit":
            time.sleep(CLOCK_SKEW_SECONDS)
            client.get(path)
        assert client.get(path)["X-Cache"] == "hit", path


def state(client, path) -> str:
    return client.get(path)["X-Cache"]


def an_article_in(channel: ChannelPage) -> ArticlePage:
    """The newest article directly in `channel` that its listing shows (one entry per story)."""
    return selectors.article_list_stories(within=channel).child_of(channel).first()


def test_an_article_page_carries_the_keys_of_everything_it_shows(client, home):
    article = ArticlePage.objects.live().order_by("pk").first()
    response = client.get(article.url)
    keys = keys_of(response)
    assert {article_key(article.pk), lists_key(article.pk), "nav", "all"} <= keys
    lists = interface.article_lists(article)
    for item in [*lists.related, *lists.like, *lists.story]:
        assert article_key(item.article.pk) in keys
    assert response["Surrogate-Key"] == response["xkey"]
    assert set(response["Cache-Tag"].split(",")) == keys
    assert "s-maxage=" in response["Cache-Control"]


def test_listings_carry_their_listing_key_and_the_articles_they_show(client, stocks, home):
    response = client.get(stocks.url)
    keys = keys_of(response)
    assert channel_key(stocks.pk) in keys
    assert {article_key(a.pk) for a in response.context["articles"]} <= keys
    home_keys = keys_of(client.get("/"))
    assert LATEST in home_keys
    assert channel_key(stocks.get_parent().pk) in home_keys


def test_a_new_article_refreshes_its_channels_and_the_home_page_and_nothing_else(
    client, home, stocks, make_article, page_cache
):
    world = ChannelPage.objects.exclude(pk__in=[stocks.pk, stocks.get_parent().pk]).first()
    unrelated = an_article_in(world)
    before = content_generation()
    warm(client, "/", "/markets/", stocks.url, world.url, unrelated.url)

    make_article(title="Copper hits a record")

    for path in ("/", "/markets/", stocks.url):
        response = client.get(path)
        assert response["X-Cache"] == "miss", path
        assert "Copper hits a record" in response.content.decode()
    assert state(client, world.url) == "hit"
    assert state(client, unrelated.url) == "hit"
    assert content_generation() == before  # no global generation for public pages


def test_editing_an_article_refreshes_the_pages_that_show_it_but_not_other_listings(
    client, home, stocks, page_cache
):
    article = an_article_in(stocks)
    world = ChannelPage.objects.exclude(pk__in=[stocks.pk, stocks.get_parent().pk]).first()
    warm(client, article.url, stocks.url, world.url)

    article.title = "A corrected headline"
    article.save_revision().publish()

    assert "A corrected headline" in client.get(article.url).content.decode()
    assert "A corrected headline" in client.get(stocks.url).content.decode()
    assert state(client, world.url) == "hit"


def test_unpublishing_an_article_refreshes_the_article_pages_whose_lists_showed_it(
    client, home, page_cache
):
    article = ArticlePage.objects.live().order_by("pk").first()
    shown = interface.article_lists(article).related[0].article
    unrelated = next(
        other
        for other in ArticlePage.objects.live().exclude(pk__in=[article.pk, shown.pk])
        if article_key(shown.pk) not in keys_of(client.get(other.url))
    )
    warm(client, article.url, unrelated.url)

    shown.specific.unpublish()

    response = client.get(article.url)
    assert response["X-Cache"] == "miss"
    assert f'data-target="{shown.pk}"' not in response.content.decode()
    assert state(client, unrelated.url) == "hit"
    assert client.get(shown.url).status_code == 404


def test_moving_an_article_refreshes_the_old_and_the_new_channel(client, home, stocks, page_cache):
    article = an_article_in(stocks)
    other = ChannelPage.objects.exclude(pk__in=[stocks.pk, stocks.get_parent().pk]).first()
    warm(client, stocks.url, other.url)

    article.move(other, pos="last-child")

    left = client.get(stocks.url)
    assert left["X-Cache"] == "miss"
    assert article.pk not in [a.pk for a in left.context["articles"]]
    entered = client.get(other.url)
    assert entered["X-Cache"] == "miss"
    assert article.pk in [a.pk for a in entered.context["articles"]]


def test_deleting_an_article_refreshes_its_channel(client, home, stocks, page_cache):
    article = an_article_in(stocks)
    warm(client, stocks.url)
    Page.objects.get(pk=article.pk).delete()
    response = client.get(stocks.url)
    assert response["X-Cache"] == "miss"
    assert article.pk not in [a.pk for a in response.context["articles"]]


def test_renaming_a_channel_refreshes_every_page_through_the_navigation(
    client, home, stocks, page_cache
):
    article = an_article_in(stocks)
    warm(client, "/", article.url)
    markets = ChannelPage.objects.get(slug="markets")
    markets.title = "Money"
    markets.save_revision().publish()
    assert ">Money</a>" in client.get("/").content.decode()
    assert ">Money</a>" in client.get(article.url).content.decode()


def test_a_cached_page_is_the_same_for_every_worker(client, stocks, page_cache):
    """The embedded default keeps the page cache on disk, shared by every worker process."""
    from django.core.cache import cache

    assert "locmem" not in type(cache).__module__
    client.get(stocks.url)
    assert state(client, stocks.url) == "hit"


def test_the_ranking_in_a_cached_page_refreshes_from_a_short_lived_public_answer(client, stocks):
    html = client.get(stocks.url).content.decode()
    refresh = (
        html.split('data-widget="ranking" data-refresh="')[1].split('"')[0].replace("&amp;", "&")
    )
    assert f"channel={stocks.pk}" in refresh
    response = client.get(refresh)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")
    assert "discovery/ranking.js" in html


def test_publishing_does_not_tie_article_pages_to_the_volatile_lists(client, home):
    article = ArticlePage.objects.live().order_by("pk").first()
    keys = keys_of(client.get(article.url))
    assert LATEST not in keys  # the fresh articles in the Recommendation change on every publish


def a_story_and_a_page_that_does_not_show_it(client) -> tuple[list[int], ArticlePage]:
    """The members of a story with copies, and an article whose page shows none of them."""
    for story in StoryEntry.objects.filter(source_count__gt=1).values_list("story", flat=True):
        members = list(StoryEntry.objects.filter(story=story).values_list("article_id", flat=True))
        member_keys = {article_key(a) for a in members}
        for other in ArticlePage.objects.live().exclude(pk__in=members).order_by("pk"):
            if not member_keys & keys_of(client.get(other.url)):
                return members, other
    raise AssertionError("no story with copies and a page apart from it")


@pytest.mark.parametrize("decision", ["split", "lock"])
def test_a_story_desk_decision_refreshes_the_pages_of_its_articles_and_nothing_else(
    client, home, decision, page_cache
):
    members, unrelated = a_story_and_a_page_that_does_not_show_it(client)
    pages = [ArticlePage.objects.get(pk=a).url for a in members]
    warm(client, *pages, unrelated.url, "/")
    before = content_generation()

    if decision == "split":
        desk.story_split(article_id=members[0])
    else:
        desk.story_lock(story=StoryEntry.objects.get(article_id=members[0]).story)

    for path in pages:
        assert state(client, path) == "miss", path
    assert state(client, unrelated.url) == "hit"
    assert content_generation() == before
    if decision == "split":
        html = client.get(pages[1]).content.decode()
        assert f'data-target="{members[0]}"' not in html.split('class="sidebar"')[0]


def test_regrouping_every_story_refreshes_only_the_pages_of_articles_whose_entry_changed(
    client, home, page_cache
):
    members, unrelated = a_story_and_a_page_that_does_not_show_it(client)
    stories: dict[int, list[int]] = {}
    for article_id, story in StoryEntry.objects.values_list("article_id", "story"):
        stories.setdefault(story, []).append(article_id)
    story = StoryEntry.objects.get(article_id=members[0]).story
    member_page = ArticlePage.objects.get(pk=members[0]).url
    warm(client, member_page, unrelated.url, "/", "/markets/")

    story_entries_replace(stories=stories)  # the same grouping: nothing changes

    for path in (member_page, unrelated.url, "/", "/markets/"):
        assert state(client, path) == "hit", path

    stories[story].remove(members[0])
    stories[max(stories) + 1] = [members[0]]
    story_entries_replace(stories=stories)

    assert state(client, member_page) == "miss"
    assert state(client, unrelated.url) == "hit"


def test_articles_published_together_purge_and_remember_what_one_by_one_does(
    home, stocks, monkeypatch, django_capture_on_commit_callbacks
):
    purged: list[set[str]] = []
    monkeypatch.setattr(invalidation, "keys_purge", lambda keys: purged.append(set(keys)))
    world = ChannelPage.objects.exclude(pk__in=[stocks.pk, stocks.get_parent().pk]).first()
    elsewhere = ArticlePage.objects.exclude(path__startswith=stocks.path).last()
    articles = [an_article_in(stocks), an_article_in(world), elsewhere]
    facts = [invalidation.FACTS_PREFIX + str(a.pk) for a in articles]
    cache.delete_many(facts)
    cache.set(facts[0], invalidation.listing_facts(articles[0]))  # unchanged since its last purge

    def outcome(publish) -> tuple[set[str], dict]:
        purged.clear()
        with django_capture_on_commit_callbacks(execute=True):  # facts are kept on commit
            publish()
        remembered = cache.get_many(facts)
        cache.delete_many(facts[1:])  # as before the run: only the first one remembered
        return set().union(*purged), remembered

    one_by_one = outcome(lambda: [invalidation.article_published(a) for a in articles])

    def batched():
        with invalidation.publishes_batched():
            for article in articles:
                invalidation.article_published(article)
            assert purged == []  # nothing before the block ends

    together = outcome(batched)
    assert together == one_by_one
    assert len(purged) == 1
    assert channel_key(world.pk) in together[0] and channel_key(stocks.pk) not in together[0]


def test_a_new_article_in_a_story_of_its_own_leaves_the_listings_showing_it_cached(
    client, home, stocks, make_article, page_cache
):
    """The listings showed it as a story of its own from its publish on; discovery storing that
    story (of one) after the publish changes nothing they show."""
    article = make_article(title="Zinc smelter strike ends in Peru after nine weeks")
    warm(client, "/", "/markets/", stocks.url)

    article_update(article_id=article.pk)  # the task publishing queues after commit

    entry = StoryEntry.objects.get(article=article)
    assert entry.is_lead and entry.source_count == 1
    for path in ("/", "/markets/", stocks.url):
        assert state(client, path) == "hit", path


class RolledBack(Exception):
    pass


def test_a_publish_that_rolls_back_leaves_no_listing_facts_behind(home, stocks, monkeypatch):
    """Its id may come back with the same date in the write tried again, which must still
    purge the listings it enters."""
    purged: list[set[str]] = []
    monkeypatch.setattr(invalidation, "keys_purge", lambda keys: purged.append(set(keys)))
    article = an_article_in(stocks)
    cache.delete(invalidation.FACTS_PREFIX + str(article.pk))
    with pytest.raises(RolledBack), transaction.atomic():
        invalidation.article_published(article)
        raise RolledBack

    with transaction.atomic():
        invalidation.article_published(article)

    assert channel_key(stocks.pk) in purged[-1]


def test_a_publish_then_an_unpublish_in_one_transaction_leave_no_listing_facts(
    home, stocks, monkeypatch, django_capture_on_commit_callbacks
):
    """The facts are kept on commit; forgetting them at once would let the publish's callback
    put them back after the unpublish, and a later publish of the same date skip its listings."""
    monkeypatch.setattr(invalidation, "keys_purge", lambda keys: None)
    article = an_article_in(stocks)
    with django_capture_on_commit_callbacks(execute=True):
        invalidation.article_published(article)
        invalidation.article_gone(article)

    assert cache.get(invalidation.FACTS_PREFIX + str(article.pk)) is None
