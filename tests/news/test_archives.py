from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from masthead.news.models import ArticlePage
from tests.conftest import FIXED_NOW

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def locations(client, path) -> set[str]:
    response = client.get(path)
    assert response.status_code == 200
    return {loc.text for loc in ElementTree.fromstring(response.content).iter(f"{SITEMAP}loc")}


def test_a_day_archive_lists_that_days_articles_newest_first(client, make_article):
    late = make_article(title="Late copper news", published_at=FIXED_NOW + timedelta(hours=20))
    early = make_article(title="Early copper news", published_at=FIXED_NOW)
    make_article(title="Next day", published_at=FIXED_NOW + timedelta(days=1))
    response = client.get("/2025/04/09/")
    assert response.status_code == 200
    assert [article.pk for article in response.context["articles"]] == [late.pk, early.pk]
    assert "Wednesday, 9 April 2025" in response.content.decode()


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_a_day_is_a_day_in_the_sites_time_zone(client, make_article):
    # 2025-04-08 20:00 UTC is already the 9th in Tokyo.
    article = make_article(published_at=datetime(2025, 4, 8, 20, 0, tzinfo=UTC))
    assert [a.pk for a in client.get("/2025/04/09/").context["articles"]] == [article.pk]
    assert article.pk not in [a.pk for a in client.get("/2025/04/08/").context["articles"]]


def test_a_month_archive_lists_its_days_with_counts_and_its_articles(client, make_article):
    make_article(title="One", published_at=FIXED_NOW)
    make_article(title="Two", published_at=FIXED_NOW + timedelta(minutes=5))
    make_article(title="Three", published_at=FIXED_NOW + timedelta(days=3))
    make_article(title="May", published_at=datetime(2025, 5, 1, 8, tzinfo=UTC))
    response = client.get("/2025/04/")
    html = response.content.decode()
    assert [(day.day, count) for day, count in response.context["days"]] == [(9, 2), (12, 1)]
    assert 'href="/2025/04/09/"' in html and 'href="/2025/04/12/"' in html
    assert {a.title for a in response.context["articles"]} == {"One", "Two", "Three"}


def test_an_unpublished_article_is_not_in_the_archive(client, make_article):
    article = make_article(published_at=FIXED_NOW)
    article.unpublish()
    assert list(client.get("/2025/04/09/").context["articles"]) == []


def test_impossible_and_future_dates_are_404(client, db):
    tomorrow = timezone.localdate() + timedelta(days=1)
    for path in ["/2025/02/30/", "/2025/13/", "/2025/00/01/", tomorrow.strftime("/%Y/%m/%d/")]:
        assert client.get(path).status_code == 404, path


def test_the_article_date_links_to_its_day_archive(client, make_article):
    article = make_article(published_at=FIXED_NOW)
    assert 'href="/2025/04/09/"' in client.get(article.url).content.decode()


def test_the_sitemap_lists_day_archives_and_tag_pages(client, make_article):
    article = make_article(published_at=FIXED_NOW)
    article.tags.add("Copper Ore", "Deep Mining")
    article.save_revision().publish()
    index = locations(client, "/sitemap.xml")
    assert {"http://testserver/sitemap-archives.xml", "http://testserver/sitemap-tags.xml"} <= index
    archives = locations(client, "/sitemap-archives.xml")
    assert "http://testserver/2025/04/09/" in archives
    days = {
        timezone.localtime(at).date()
        for at in ArticlePage.objects.live().values_list("published_at", flat=True)
    }
    assert len(archives) == len(days)
    tags = locations(client, "/sitemap-tags.xml")
    assert {"http://testserver/tags/copper-ore/", "http://testserver/tags/deep-mining/"} <= tags
    article.unpublish()
    cache.clear()  # the sitemap is cached for ten minutes
    assert "http://testserver/tags/deep-mining/" not in locations(client, "/sitemap-tags.xml")
