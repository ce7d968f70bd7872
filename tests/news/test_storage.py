"""On PostgreSQL, the large values a new article writes are compressed with LZ4, not pglz."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from masthead.news.bulk import article_body_raw, article_bulk_create
from masthead.news.models import ArticlePage
from masthead.news.search_index import TitleNorms

pytestmark = pytest.mark.django_db

# Long enough (several kilobytes) that PostgreSQL compresses it, and compressible.
PARAGRAPH = "<p>" + "Copper smelters cut output as prices rose again. " * 120 + "</p>"


def lz4_supported() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        return bool(cursor.fetchone()[0])


def test_a_bulk_written_articles_body_and_search_text_are_compressed_with_lz4(stocks):
    if connection.vendor != "postgresql" or not lz4_supported():
        pytest.skip("PostgreSQL built with LZ4 only")
    article = ArticlePage(title="Copper", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    article.body, article.__dict__["body_text"] = article_body_raw([("paragraph", PARAGRAPH)])
    article_bulk_create(channel=stocks, articles=[article], tags=[[]], norms=TitleNorms())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(body) FROM news_articlepage WHERE page_ptr_id = %s",
            [article.pk],
        )
        page = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_column_compression(body_text) FROM wagtailsearch_indexentry "
            "WHERE object_id = %s",
            [str(article.pk)],
        )
        search = cursor.fetchone()[0]
    assert (page, search) == ("lz4", "lz4")
