from datetime import timedelta
from xml.etree import ElementTree

from django.utils import timezone

from masthead.news.models import ArticlePage

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def xml(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return ElementTree.fromstring(response.content)


def test_the_sitemap_index_points_at_sections_that_list_every_live_page(client, home):
    index = xml(client, "/sitemap.xml")
    locations = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert "http://testserver/sitemap-articles.xml" in locations
    assert "http://testserver/sitemap-sections.xml" in locations
    articles = xml(client, "/sitemap-articles.xml")
    urls = {loc.text for loc in articles.iter(f"{SITEMAP}loc")}
    assert urls == {f"http://testserver{a.url}" for a in ArticlePage.objects.live()}
    sections = {loc.text for loc in xml(client, "/sitemap-sections.xml").iter(f"{SITEMAP}loc")}
    assert {"http://testserver/", "http://testserver/markets/stocks/"} <= sections


def test_the_news_sitemap_holds_the_last_48_hours_only(client, make_article):
    fresh = make_article(title="Fresh news", published_at=timezone.now() - timedelta(hours=2))
    stale = make_article(title="Stale news", published_at=timezone.now() - timedelta(hours=49))
    root = xml(client, "/sitemap-news.xml")
    entries = {
        url.find(f"{SITEMAP}loc").text: url.find(f"{NEWS}news")
        for url in root.iter(f"{SITEMAP}url")
    }
    assert f"http://testserver{fresh.url}" in entries
    assert f"http://testserver{stale.url}" not in entries
    news = entries[f"http://testserver{fresh.url}"]
    assert news.find(f"{NEWS}title").text == "Fresh news"
    assert news.find(f"{NEWS}publication/{NEWS}name").text == "Masthead News"
    assert news.find(f"{NEWS}publication/{NEWS}language").text == "en"
    assert news.find(f"{NEWS}publication_date").text.startswith(str(fresh.published_at.year))


def test_robots_txt_points_at_the_sitemaps(client, home):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Sitemap: http://testserver/sitemap-news.xml" in text
    assert "Disallow: /admin/" in text
