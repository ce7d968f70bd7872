import json
import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from masthead.news import selectors
from masthead.news.models import ArticlePage, ChannelPage, PinnedStory
from tests.conftest import FIXED_NOW


def ld_json(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_the_home_page_lists_top_stories_and_a_section_per_channel(client, home):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Top stories" in html
    for channel in ChannelPage.objects.child_of(home).live():
        assert f'href="/{channel.slug}/"' in html


def test_pinned_stories_come_first_in_their_order_then_the_latest(client, home):
    oldest = ArticlePage.objects.live().order_by("published_at")[:2]
    PinnedStory.objects.create(home=home, article=oldest[1], sort_order=0)
    PinnedStory.objects.create(home=home, article=oldest[0], sort_order=1)
    latest = selectors.article_list_stories().exclude(pk__in=[a.pk for a in oldest]).first()
    top = client.get("/").context["top_stories"]()
    assert [a.pk for a in top[:3]] == [oldest[1].pk, oldest[0].pk, latest.pk]


def test_a_channel_lists_its_own_and_its_sub_channels_stories_newest_first(client, home):
    markets = ChannelPage.objects.get(slug="markets")
    response = client.get("/markets/")
    assert response.status_code == 200
    listed = list(response.context["articles"])
    expected = selectors.article_list_stories(within=markets)
    assert [a.pk for a in listed] == [a.pk for a in expected[: len(listed)]]
    assert {a.get_parent().slug for a in expected} >= {"stocks"}


def test_a_nested_channel_has_its_own_page_and_feeds(client, home):
    response = client.get("/markets/stocks/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/markets/stocks/feed/"' in html
    assert 'href="/markets/stocks/atom/"' in html


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999", "1" * 40])
def test_a_bad_page_number_shows_a_page_with_a_message(client, home, page):
    response = client.get("/markets/", {"page": page})
    assert response.status_code == 200
    assert response.context["pagination_message"]


@pytest.mark.parametrize(
    "path", ["/no-such-channel/", "/markets/no-such-article/", "/tags/no-such-tag/"]
)
def test_unknown_pages_get_a_404_in_the_sites_design(client, home, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="masthead"' in html


def test_the_article_page_shows_everything_a_portal_shows(client, home):
    article = ArticlePage.objects.live().exclude(byline="").filter(tagged_items__isnull=False)[0]
    response = client.get(article.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<title>{article.title} - Masthead News</title>" in html
    assert f'<h1 class="article__title">{article.title}</h1>' in html
    assert f'data-article-id="{article.pk}"' in html
    assert article.credit_line in html
    assert re.search(rf"By (<a [^>]*>)?{re.escape(article.byline)}", html)
    for tag in article.tags.all():
        assert f'href="/tags/{tag.slug}/"' in html
    assert '<nav class="breadcrumb"' in html


def test_the_breadcrumb_links_every_level_from_home(client, home):
    article = ArticlePage.objects.live().child_of(ChannelPage.objects.get(slug="stocks"))[0]
    html = client.get(article.url).content.decode()
    crumbs = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs) == [
        ("/", "Home"),
        ("/markets/", "Markets"),
        ("/markets/stocks/", "Stocks"),
    ]
    breadcrumb_ld = next(d for d in ld_json(html) if d["@type"] == "BreadcrumbList")
    names = [item["name"] for item in breadcrumb_ld["itemListElement"]]
    assert names == ["Home", "Markets", "Stocks", article.title]
    assert breadcrumb_ld["itemListElement"][1]["item"] == "http://testserver/markets/"


def test_news_article_json_ld_has_the_required_fields(client, home):
    article = ArticlePage.objects.live().filter(lead_image__isnull=False)[0]
    html = client.get(article.url).content.decode()
    data = next(d for d in ld_json(html) if d["@type"] == "NewsArticle")
    for field in ("headline", "datePublished", "dateModified", "author", "publisher", "image"):
        assert data[field], field
    assert data["articleSection"] == article.get_parent().title
    assert data["keywords"] == [tag.name for tag in article.tags.all()]
    assert data["image"][0].startswith("http://testserver/")


def test_open_graph_and_twitter_tags_describe_the_article(client, home):
    article = ArticlePage.objects.live().filter(lead_image__isnull=False)[0]
    html = client.get(article.url).content.decode()
    assert f'<meta property="og:title" content="{article.title}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert re.search(r'<meta property="og:image" content="http://testserver/media/', html)
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_canonical_points_at_the_original_for_syndicated_copies(client, home, make_article):
    own = make_article(title="Our own story")
    copy = make_article(
        title="A wire copy",
        source_name="Northwire",
        source_url="https://wire.example/original",
        is_canonical_at_source=True,
    )
    assert (
        f'<link rel="canonical" href="http://testserver{own.url}">'
        in client.get(own.url).content.decode()
    )
    html = client.get(copy.url).content.decode()
    assert '<link rel="canonical" href="https://wire.example/original">' in html


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_the_date_is_shown_in_the_sites_time_zone(client, make_article):
    article = make_article(published_at=FIXED_NOW)
    html = client.get(article.url).content.decode()
    assert '<time datetime="2025-04-09T09:11:29+09:00">2025-04-09 09:11:29</time>' in html
    assert 'href="/2025/04/09/"' in html  # the day's archive, in the site's time zone too
    assert "Updated:" not in html


def test_a_later_revision_shows_updated(client, make_article):
    article = make_article()
    ArticlePage.objects.filter(pk=article.pk).update(
        first_published_at=timezone.now() - timedelta(hours=3)
    )
    article.refresh_from_db()
    article.dek = "Corrected figures."
    article.save_revision().publish()
    html = client.get(article.url).content.decode()
    assert "Updated: <time" in html


def test_first_publication_sets_published_at(make_article):
    article = make_article()
    assert article.published_at == article.first_published_at


def test_the_article_body_renders_every_block_type(client, make_article):
    article = make_article(
        body=[
            ("paragraph", "<p>First <b>paragraph</b>.</p>"),
            ("heading", {"text": "A heading", "level": "h2"}),
            ("quote", {"text": "Words worth quoting.", "attribution": "A source"}),
        ]
    )
    html = client.get(article.url).content.decode()
    assert "<p>First <b>paragraph</b>.</p>" in html
    assert "<h2>A heading</h2>" in html
    assert "Words worth quoting." in html and "— A source" in html


def test_pages_carry_caching_and_security_headers(client, home):
    article = ArticlePage.objects.live()[0]
    response = client.get(article.url)
    assert response["Cache-Control"] == "public, max-age=60, s-maxage=86400"
    assert response["ETag"]
    assert response["Last-Modified"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(article.url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_an_article_without_a_column_takes_its_channels_desk(make_article):
    assert make_article(title="Desk line").column == "Markets Desk"
    assert make_article(title="Own line", column="Opinion").column == "Opinion"
