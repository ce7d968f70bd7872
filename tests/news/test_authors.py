import time

import feedparser
import pytest

from masthead.ingest.parse import parse
from masthead.news import selectors
from masthead.news.cache import CLOCK_SKEW_SECONDS
from masthead.news.models import ArticlePage, Author
from masthead.news.services import authors_match_all
from tests.news.test_pages import ld_json


@pytest.fixture
def maya(db) -> Author:
    return Author.objects.create(
        name="Nadia Brandt", slug="nadia-brandt", role="Markets reporter", bio="Covers copper."
    )


@pytest.mark.parametrize(
    "byline,names",
    [
        ("Nadia Brandt", ["Nadia Brandt"]),
        ("By Nadia Brandt", ["Nadia Brandt"]),
        ("by  Nadia   Brandt and Liam Xu", ["Nadia Brandt", "Liam Xu"]),
        ("Liam Xu, Nadia Brandt & Ana Diaz", ["Liam Xu", "Nadia Brandt", "Ana Diaz"]),
        ("", []),
    ],
)
def test_a_byline_is_read_as_the_people_it_names(byline, names):
    assert selectors.byline_names(byline=byline) == names


def test_a_new_article_is_linked_to_the_author_its_byline_names(make_article, maya):
    article = make_article(byline="By Liam Xu and NADIA BRANDT")
    assert article.author == maya


def test_an_article_by_someone_without_a_page_has_no_author(make_article, maya):
    assert make_article(byline="Nadia Brandtner").author is None


def test_creating_an_author_links_the_existing_articles_that_name_them(make_article):
    earlier = make_article(byline="Ana Diaz")
    shared = make_article(byline="Liam Xu and Ana Diaz")
    other = make_article(byline="Ana Diazzi")
    ana = Author.objects.create(name="Ana Diaz", slug="ana-diaz")
    linked = set(ArticlePage.objects.filter(author=ana).values_list("pk", flat=True))
    assert linked == {earlier.pk, shared.pk}
    other.refresh_from_db()
    assert other.author is None


def test_matching_all_authors_again_links_nothing_twice(make_article, maya):
    make_article(byline="Nadia Brandt")
    matched = authors_match_all()
    assert matched["Nadia Brandt"] == 0 and set(matched.values()) == {0}


def test_the_byline_links_to_the_author_page(client, make_article, maya):
    article = make_article(byline="Nadia Brandt")
    html = client.get(article.url).content.decode()
    assert '<a href="/authors/nadia-brandt/" rel="author">Nadia Brandt</a>' in html


def test_an_author_page_created_after_the_article_was_served_is_linked_from_it(
    client, make_article
):
    article = make_article(byline="Ana Diaz")
    assert 'rel="author"' not in client.get(article.url).content.decode()  # cached now
    time.sleep(2 * CLOCK_SKEW_SECONDS)
    Author.objects.create(name="Ana Diaz", slug="ana-diaz")
    html = client.get(article.url).content.decode()
    assert '<a href="/authors/ana-diaz/" rel="author">Ana Diaz</a>' in html


def test_the_article_json_ld_names_the_author_as_a_person_with_a_url(client, make_article, maya):
    article = make_article(byline="By Nadia Brandt")
    html = client.get(article.url).content.decode()
    news = next(data for data in ld_json(html) if data["@type"] == "NewsArticle")
    assert news["author"] == [
        {
            "@type": "Person",
            "name": "Nadia Brandt",
            "url": "http://testserver/authors/nadia-brandt/",
        }
    ]


def test_an_unlinked_byline_stays_a_person_without_a_url(client, make_article):
    html = client.get(make_article(byline="Quinn Rossi").url).content.decode()
    news = next(data for data in ld_json(html) if data["@type"] == "NewsArticle")
    assert news["author"] == [{"@type": "Person", "name": "Quinn Rossi"}]


def test_the_author_page_shows_the_profile_and_only_their_articles(client, make_article, maya):
    mine = make_article(title="Copper climbs again", byline="Nadia Brandt")
    make_article(title="Tin falls", byline="Liam Xu")
    response = client.get("/authors/nadia-brandt/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="author__name">Nadia Brandt</h1>' in html and "Covers copper." in html
    assert [article.pk for article in response.context["articles"]] == [mine.pk]
    profile = next(data for data in ld_json(html) if data["@type"] == "ProfilePage")
    assert profile["mainEntity"]["url"] == "http://testserver/authors/nadia-brandt/"
    assert profile["mainEntity"]["jobTitle"] == "Markets reporter"


def test_the_author_feed_lists_their_articles(client, make_article, maya):
    mine = make_article(title="Copper climbs again", byline="Nadia Brandt")
    make_article(title="Tin falls", byline="Liam Xu")
    for path in ["feed/", "atom/"]:
        feed = feedparser.parse(client.get(f"/authors/nadia-brandt/{path}").content)
        assert [entry.link for entry in feed.entries] == [f"http://testserver{mine.url}"], path
        assert feed.entries[0].author == "Nadia Brandt"
    entries = parse(client.get("/authors/nadia-brandt/json/").content, "jsonfeed")
    assert [entry.url for entry in entries] == [f"http://testserver{mine.url}"]


def test_an_unknown_author_is_a_404(client, db):
    assert client.get("/authors/nobody/").status_code == 404
    assert client.get("/authors/nobody/feed/").status_code == 404


def test_the_article_page_with_an_author_needs_no_extra_query(client, make_article, maya):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(article) -> int:
        # Caches built within the clock-skew margin of a purge (the publish) are not trusted.
        time.sleep(2 * CLOCK_SKEW_SECONDS)
        client.get(article.url)
        with CaptureQueriesContext(connection) as captured:
            client.get(article.url)
        return len(captured)

    assert queries(make_article(byline="Nadia Brandt")) == queries(make_article(byline="Liam Xu"))


def test_the_authors_page_lists_every_author_by_name(client, maya):
    Author.objects.create(name="Ana Diaz", slug="ana-diaz")
    html = client.get("/authors/").content.decode()
    assert html.index('href="/authors/ana-diaz/"') < html.index('href="/authors/nadia-brandt/"')
    assert "Markets reporter" in html
