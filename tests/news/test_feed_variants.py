"""Feeds with lead images, full text and JSON Feed, each parsed back by a real feed reader
(feedparser for RSS and Atom, Masthead's own ingestion parser for JSON Feed)."""

import json

import feedparser
import pytest
from wagtail.models import Site

from masthead.ingest.parse import parse
from masthead.news.models import ArticlePage, FeedSettings


def fetch(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response


def rss_or_atom(client, path):
    feed = feedparser.parse(fetch(client, path).content)
    assert not feed.bozo, feed.bozo_exception
    return feed


@pytest.fixture
def full_text(home):
    FeedSettings.objects.update_or_create(
        site=Site.objects.get(is_default_site=True), defaults={"is_full_text": True}
    )


def entry_for(feed, article):
    url = f"http://testserver{article.url}"
    return next(entry for entry in feed.entries if entry.link == url)


def latest_with_image():
    articles = ArticlePage.objects.live().order_by("-published_at", "-pk")[:30]
    return next(article for article in articles if article.lead_image_id)


def test_rss_items_carry_the_lead_image_as_enclosure_and_media_content(client, home):
    article = latest_with_image()
    entry = entry_for(rss_or_atom(client, "/feed/"), article)
    enclosure = entry.enclosures[0]
    assert enclosure.type == "image/jpeg" and int(enclosure.length) > 0
    assert enclosure.href.startswith("http://testserver/media/images/")
    media = entry.media_content[0]
    assert media["url"] == enclosure.href
    assert (media["width"], media["height"]) == ("1200", "675")


def test_atom_entries_carry_the_lead_image_as_an_enclosure_link(client, home):
    entry = entry_for(rss_or_atom(client, "/feed/atom/"), latest_with_image())
    assert [link.rel for link in entry.links if link.type == "image/jpeg"] == ["enclosure"]


@pytest.mark.parametrize("path", ["/feed/", "/feed/atom/"])
def test_feeds_carry_summaries_only_by_default(client, home, path):
    article = ArticlePage.objects.live().order_by("-published_at", "-pk").first()
    entry = entry_for(rss_or_atom(client, path), article)
    assert entry.summary == article.dek
    assert "content" not in entry


@pytest.mark.parametrize("path", ["/feed/", "/feed/atom/"])
def test_the_full_text_setting_puts_the_whole_body_in_the_feeds(client, full_text, path):
    article = ArticlePage.objects.live().order_by("-published_at", "-pk").first()
    entry = entry_for(rss_or_atom(client, path), article)
    assert entry.summary == article.dek
    body = entry.content[0].value
    assert article.body_text.split(".")[0] in body
    assert "<p>" in body


def test_the_json_feed_is_json_feed_1_1_with_summaries(client, home):
    response = fetch(client, "/feed/json/")
    assert response["Content-Type"] == "application/feed+json"
    document = json.loads(response.content)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == "http://testserver/feed/json/"
    latest = list(ArticlePage.objects.live().order_by("-published_at", "-pk")[:30])
    entries = parse(response.content, "jsonfeed")
    assert [entry.url for entry in entries] == [f"http://testserver{a.url}" for a in latest]
    assert entries[0].title == latest[0].title
    assert entries[0].published is not None
    assert set(entries[0].categories) == {tag.name for tag in latest[0].tags.all()}
    assert all("content_html" not in item for item in document["items"])


def test_the_json_feed_carries_images_and_full_text_when_set(client, full_text):
    article = latest_with_image()
    entries = parse(fetch(client, "/feed/json/").content, "jsonfeed")
    entry = next(entry for entry in entries if entry.url == f"http://testserver{article.url}")
    assert entry.image.startswith("http://testserver/media/images/")
    assert article.body_text.split(".")[0] in entry.content


@pytest.mark.parametrize("path", ["/markets/json/", "/tags/{tag}/json/"])
def test_channel_and_tag_json_feeds_hold_only_their_articles(client, home, path):
    article = ArticlePage.objects.live().filter(tagged_items__isnull=False)[0]
    tag = article.tags.all()[0]
    entries = parse(fetch(client, path.format(tag=tag.slug)).content, "jsonfeed")
    assert entries
    if "tags" in path:
        assert all(tag.name in entry.categories for entry in entries)
    else:
        assert all("/markets/" in entry.url for entry in entries)


def test_pages_announce_the_json_feed(client, home):
    html = client.get("/markets/").content.decode()
    assert 'type="application/feed+json"' in html and 'href="/markets/json/"' in html
