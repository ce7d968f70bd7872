import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.demo.services import corpus_generate
from masthead.news.cache import CLOCK_SKEW_SECONDS
from masthead.news.models import ArticlePage

# Route (3 levels), article, breadcrumbs, tags, lead image, its rendition, navigation, site.
ARTICLE_QUERY_BOUND = 14


def article_page_queries(client) -> int:
    article = ArticlePage.objects.live().filter(lead_image__isnull=False).order_by("pk").first()
    # Caches built within the clock-skew margin of a purge (the last publish) are not trusted.
    time.sleep(2 * CLOCK_SKEW_SECONDS)
    client.get(article.url)  # warm per-process caches (site root paths, content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(article.url).status_code == 200
    return len(queries)


def test_the_article_page_needs_the_same_few_queries_at_any_corpus_size(client, home):
    few = article_page_queries(client)
    corpus_generate(articles=1000, seed=99)
    assert ArticlePage.objects.count() >= 1000
    many = article_page_queries(client)
    assert few == many
    assert many <= ARTICLE_QUERY_BOUND


def test_listings_need_the_same_few_queries_at_any_corpus_size(client, home):
    def count(path):
        time.sleep(2 * CLOCK_SKEW_SECONDS)
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    paths = ["/", "/markets/", "/markets/stocks/", "/feed/", "/search/?q=shares"]
    few = [count(path) for path in paths]
    # With images, as the fixture articles have: a feed of image-less items needs two fewer.
    corpus_generate(articles=1000, seed=98)
    assert [count(path) for path in paths] == few
