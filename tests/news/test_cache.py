"""Cached values live until a key they recorded is purged; volatile parts record nothing."""

from wagtail.models import PageViewRestriction

from masthead.news.cache import (
    cached_with_keys,
    keys_collected,
    keys_ignored,
    keys_purge,
    keys_record,
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


def test_a_purge_that_lands_while_a_value_is_built_makes_it_stale(db):
    def build():
        keys_record("article-1")
        keys_purge(["article-1"])  # an editor publishes while the page renders
        return "old"

    cached_with_keys("y", build, timeout=60)
    assert cached_with_keys("y", lambda: "new", timeout=60) == "new"


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
