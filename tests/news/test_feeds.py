import feedparser
import pytest

from masthead.news.models import ArticlePage, ChannelPage


def parse(client, path):
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


@pytest.mark.parametrize("path,version", [("/feed/", "rss20"), ("/feed/atom/", "atom10")])
def test_the_site_feeds_list_the_latest_articles(client, home, path, version):
    feed = parse(client, path)
    assert feed.version == version
    latest = ArticlePage.objects.live().order_by("-published_at", "-pk")[:30]
    assert [entry.link for entry in feed.entries] == [
        f"http://testserver{article.url}" for article in latest
    ]
    first = feed.entries[0]
    assert first.title == latest[0].title
    assert first.published_parsed is not None or first.updated_parsed is not None
    assert {tag.term for tag in first.tags} == {tag.name for tag in latest[0].tags.all()}


@pytest.mark.parametrize("suffix", ["feed/", "atom/"])
def test_a_channel_feed_holds_only_that_channels_articles(client, home, suffix):
    markets = ChannelPage.objects.get(slug="markets")
    feed = parse(client, f"/markets/{suffix}")
    assert feed.entries
    urls = {
        f"http://testserver{article.url}"
        for article in ArticlePage.objects.live().descendant_of(markets)
    }
    assert {entry.link for entry in feed.entries} <= urls
    assert feed.feed.title == "Markets - Masthead News"


@pytest.mark.parametrize("suffix", ["feed/", "atom/"])
def test_a_tag_feed_holds_only_articles_with_that_tag(client, home, suffix):
    article = ArticlePage.objects.live().filter(tagged_items__isnull=False)[0]
    tag = article.tags.all()[0]
    feed = parse(client, f"/tags/{tag.slug}/{suffix}")
    assert feed.entries
    for entry in feed.entries:
        assert tag.name in {t.term for t in entry.tags}


def test_the_feed_of_an_unknown_tag_is_a_404(client, home):
    assert client.get("/tags/no-such-tag/feed/").status_code == 404
