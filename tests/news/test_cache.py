"""Cached values live until a key they recorded is purged; volatile parts record nothing."""

import time

from django.core.cache import cache
from wagtail.models import PageViewRestriction

from masthead.discovery import interface
from masthead.news import cache as news_cache
from masthead.news import models, selectors
from masthead.news.cache import (
    CLOCK_SKEW_SECONDS,
    PURGED_PREFIX,
    PurgeTimes,
    cached_with_keys,
    channel_key,
    keys_collected,
    keys_ignored,
    keys_purge,
    keys_record,
    lists_key,
    purges_synced,
)
from masthead.news.models import ArticlePage


def test_a_cached_value_is_rebuilt_only_after_one_of_its_keys_is_purged(db):
    builds = []

    def build():
        keys_record("article-1")
        builds.append(1)
        return len(builds)

    assert cached_with_keys("x", build, timeout=60) == 1
    assert cached_with_keys("x", build, timeout=60) == 1
    keys_purge(["article-2"])
    assert cached_with_keys("x", build, timeout=60) == 1
    keys_purge(["article-1"])
    assert cached_with_keys("x", build, timeout=60) == 2


def test_a_purge_of_more_keys_than_the_limit_purges_everything_with_one_write(db, monkeypatch):
    monkeypatch.setattr(news_cache, "PURGE_KEYS_MAX", 3)
    builds = []

    def build():
        keys_record("article-99")
        builds.append(1)
        return len(builds)

    assert cached_with_keys("x", build, timeout=60) == 1
    keys_purge(["article-1", "article-2", "article-3"])  # at the limit: only these
    assert cached_with_keys("x", build, timeout=60) == 1
    keys_purge([f"article-{i}" for i in range(10, 14)])  # over it: everything
    assert cached_with_keys("x", build, timeout=60) == 2
    assert cache.get(PURGED_PREFIX + "article-10") is None


def test_a_purge_that_lands_while_a_value_is_built_makes_it_stale(db):
    def build():
        keys_record("article-1")
        keys_purge(["article-1"])  # an editor publishes while the page renders
        return "old"

    cached_with_keys("y", build, timeout=60)
    assert cached_with_keys("y", lambda: "new", timeout=60) == "new"


def test_a_process_sees_a_purge_made_by_another_after_its_next_sync(db):
    other_process = PurgeTimes()
    other_process.sync()
    assert other_process.of(["article-1"])["article-1"] == 0.0
    keys_purge(["article-1"])  # this process; the other keeps what it read until it syncs
    assert other_process.of(["article-1"])["article-1"] == 0.0
    other_process.sync()
    assert other_process.of(["article-1"])["article-1"] > 0.0


def test_a_process_forgets_its_purge_times_when_the_cache_is_emptied(db):
    keys_purge(["article-1"])
    other_process = PurgeTimes()
    other_process.sync()
    assert other_process.of(["article-1"])["article-1"] > 0.0
    cache.clear()
    other_process.sync()
    assert other_process.of(["article-1"])["article-1"] == 0.0


def test_a_value_built_in_a_request_counts_as_built_when_the_request_started(db):
    """A purge made elsewhere during a request is not seen by the request's checks, so what the
    request builds from older fragments must be stale once that purge is seen."""
    for _ in range(2):  # built, then read back: its key's purge time is read and kept
        cached_with_keys("part", lambda: keys_record("article-1") or "old part", timeout=60)
    with purges_synced():
        time.sleep(CLOCK_SKEW_SECONDS * 2)
        cache.set("purged:article-1", time.time())  # another process purges, mid-request
        time.sleep(CLOCK_SKEW_SECONDS * 2)
        page = cached_with_keys(
            "page", lambda: cached_with_keys("part", lambda: "new part", timeout=60), timeout=60
        )
        assert page == "old part"  # one check of the purges per request
    keys_purge(["article-2"])  # the sequence moves on: the next request sees both purges
    assert cached_with_keys("page", lambda: "new page", timeout=60) == "new page"


def test_a_cache_hit_records_the_keys_of_the_value_again(db):
    def build():
        keys_record("tag-3")
        return "v"

    cached_with_keys("z", build, timeout=60)
    with keys_collected() as keys:
        cached_with_keys("z", build, timeout=60)
    assert keys == {"tag-3"}


def test_volatile_parts_do_not_tie_the_page_to_what_they_show(db):
    with keys_collected() as keys:
        keys_record("article-1")
        with keys_ignored():
            keys_record("latest")
    assert keys == {"article-1"}


def test_an_edited_body_is_rendered_again(client, make_article):
    article = make_article(title="Body check")
    assert "futures" in client.get(article.url).content.decode()
    article.body = [("paragraph", "<p>Traders sold zinc instead.</p>")]
    article.save_revision().publish()
    html = client.get(article.url).content.decode()
    assert "zinc" in html and "futures" not in html


def test_a_private_page_stays_private(client, home):
    article = ArticlePage.objects.live().order_by("pk").first()
    assert client.get(article.url).status_code == 200
    PageViewRestriction.objects.create(
        page=article, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    response = client.get(article.url)
    assert response.status_code == 200
    assert article.title not in response.content.decode().split("<title>")[1].split("</title>")[0]
    assert "password" in response.content.decode().lower()


def test_a_page_built_while_something_it_shows_is_purged_is_kept_by_no_cache(
    client, settings, stocks, monkeypatch
):
    """The purge has gone out before the page is sent: a front cache storing the copy built
    before it would show the old listing until the next purge."""
    settings.MASTHEAD_PAGE_CACHE_SECONDS = 600
    breadcrumbs = selectors.page_list_breadcrumbs

    def breadcrumbs_while_an_editor_publishes(**kwargs):
        trail = breadcrumbs(**kwargs)
        keys_purge([channel_key(stocks.pk)])  # a publish into the channel lands mid-render
        return trail

    monkeypatch.setattr(selectors, "page_list_breadcrumbs", breadcrumbs_while_an_editor_publishes)
    built_during_a_purge = client.get(stocks.url)
    assert built_during_a_purge.status_code == 200
    assert "private" in built_during_a_purge["Cache-Control"]
    assert "s-maxage" not in built_during_a_purge["Cache-Control"]
    assert "xkey" not in built_during_a_purge

    monkeypatch.undo()
    time.sleep(CLOCK_SKEW_SECONDS * 2)
    again = client.get(stocks.url)
    assert again["X-Cache"] == "miss"  # the copy was not kept in the page cache either
    assert "s-maxage" in again["Cache-Control"] and channel_key(stocks.pk) in again["xkey"]
    assert client.get(stocks.url)["X-Cache"] == "hit"


def test_an_article_page_with_new_lists_renders_its_lists_again_but_not_its_shell(
    client, home, monkeypatch
):
    """A publish enters the Related lists of many other articles: each of those pages renders
    its lists again, and keeps its head, header, body and tags (the shell) as they were."""
    article = ArticlePage.objects.live().order_by("pk").first()
    before = client.get(article.url).content.decode()
    shells, lists = [], []
    shell_render, article_lists = models.shell_render, interface._article_lists
    monkeypatch.setattr(
        models, "shell_render", lambda *args: shells.append(1) or shell_render(*args)
    )
    monkeypatch.setattr(
        interface, "_article_lists", lambda article: lists.append(1) or article_lists(article)
    )

    keys_purge([lists_key(article.pk)])  # as discovery does when the lists change
    time.sleep(CLOCK_SKEW_SECONDS * 2)
    after = client.get(article.url)

    assert lists == [1] and shells == []
    assert after.content.decode() == before
    assert lists_key(article.pk) in after["xkey"]  # the page still leaves with its lists
