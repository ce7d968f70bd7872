"""Bulk indexing writes what Wagtail's own indexing writes, without rescanning the index."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from masthead.news.bulk import article_body_raw, article_bulk_create
from masthead.news.models import ArticlePage
from masthead.news.search import SearchRequest, article_search
from masthead.news.search_index import TitleNorms

pytestmark = pytest.mark.django_db

# Varied field counts (no dek, a byline, no tag, a stop word alone) exercise the order in which
# the field vectors are joined. One tag each: the order of several tags is the database's
# (Wagtail reads them unordered), so it can differ between two readings.
TAGS = [["Copper"], ["Derby"], [], ["The"]]
TITLES = [
    "Copper climbs as smelters cut output",
    "Rates on hold",
    "A very long headline about the derby, the late goal and what it means for the league",
    "Storm",
]


# A body in every block type the generator writes, with markup and entities in the text.
BODY = [
    ("paragraph", "<p>Smelters cut copper output.</p>"),
    ("heading", {"text": "What it means", "level": "h2"}),
    ("paragraph", "<p>Prices &amp; <b>margins</b> rose<br/>sharply.</p><p>Again.</p>"),
    ("quote", {"text": "A turning point.", "attribution": "Ana Ruiz"}),
]


def with_body(article: ArticlePage, blocks) -> ArticlePage:
    """The article with a body in stored form and its precomputed search text."""
    article.body, article.__dict__["body_text"] = article_body_raw(blocks)
    return article


def batches(stocks) -> list[list[int]]:
    norms = TitleNorms()
    made = []
    for b in range(2):
        articles = [
            with_body(
                ArticlePage(
                    title=f"{title} {b}",
                    dek="" if i == 2 else "Bulk indexed copper story",
                    byline="Ana Ruiz" if i == 1 else "",
                    published_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=b * 10 + i),
                ),
                BODY[: i + 1] if i < 3 else [],
            )
            for i, title in enumerate(TITLES)
        ]
        article_bulk_create(channel=stocks, articles=articles, tags=TAGS, norms=norms)
        made.append([a.pk for a in articles])
    return made


def entries(ids: list[int]) -> list[tuple]:
    rows = IndexEntry.objects.filter(object_id__in=[str(i) for i in ids]).order_by("object_id")
    return [
        (
            r.object_id,
            str(r.title),
            str(r.body),
            str(r.autocomplete),
            getattr(r, "title_text", ""),  # PostgreSQL only
            getattr(r, "body_text", ""),
            r.title_norm,
        )
        for r in rows
    ]


def test_bulk_index_rows_equal_wagtails_own_indexing_batch_by_batch(stocks):
    made = batches(stocks)
    ours = entries(sum(made, []))
    found = [p.pk for p in article_search(request=SearchRequest(query="copper smelters"))[0:20]]
    IndexEntry.objects.filter(object_id__in=[str(i) for i in sum(made, [])]).delete()
    for ids in made:  # Wagtail's path, in the same batches
        get_search_backend().add_bulk(ArticlePage, list(ArticlePage.objects.filter(pk__in=ids)))
    theirs = entries(sum(made, []))
    assert [row[:6] for row in ours] == [row[:6] for row in theirs]
    assert [row[6] for row in ours] == pytest.approx([row[6] for row in theirs])
    assert found and found == [
        p.pk for p in article_search(request=SearchRequest(query="copper smelters"))[0:20]
    ]


def test_a_body_in_stored_form_gives_wagtails_blocks_and_search_text():
    raw, text = article_body_raw(BODY)
    page = ArticlePage(body=raw)
    assert text == page.body_text  # Wagtail's own extraction, block by block
    assert "Prices & margins rose sharply. Again." in text
    assert [(block.block_type, block.id) for block in page.body] == [
        (item["type"], item["id"]) for item in raw
    ]
    assert page.body[1].value["text"] == "What it means"


def test_bulk_created_pages_leave_the_tree_without_problems(stocks):
    batches(stocks)
    assert all(not problems for problems in Page.find_problems())


def test_later_batches_touch_only_their_own_index_rows(stocks):
    norms = TitleNorms()
    first = [ArticlePage(title="First", published_at=datetime(2026, 1, 1, tzinfo=UTC))]
    article_bulk_create(channel=stocks, articles=first, tags=[[]], norms=norms)
    later = [ArticlePage(title="Later", published_at=datetime(2026, 1, 2, tzinfo=UTC))]
    with CaptureQueriesContext(connection) as queries:
        article_bulk_create(channel=stocks, articles=later, tags=[[]], norms=norms)
    index_sql = [q["sql"] for q in queries if "wagtailsearch_indexentry" in q["sql"]]
    assert index_sql and all("object_id" in sql for sql in index_sql), index_sql


# Texts that an array literal must carry unchanged: quotes, backslashes, braces, commas, a bare
# NULL, inner spaces, a tab, a newline and non-ASCII letters.
AWKWARD = [
    'He said "copper" \\ not "tin"',
    "{braces}, commas, and NULL",
    "NULL",
    'a\\\\b \\" c\tand\nnew line',
    "Zürich’s façade — naïve",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_texts_give_the_rows_wagtails_own_indexing_gives(stocks, text):
    article = with_body(
        ArticlePage(
            title=f"Smelters {text}",
            dek=text,
            byline=text,
            published_at=datetime(2026, 1, 1, tzinfo=UTC),
        ),
        [("paragraph", "<p>Copper output.</p>"), ("heading", {"text": text, "level": "h2"})],
    )
    article_bulk_create(channel=stocks, articles=[article], tags=[[text[:40]]], norms=TitleNorms())
    ours = entries([article.pk])
    IndexEntry.objects.filter(object_id=str(article.pk)).delete()
    get_search_backend().add_bulk(ArticlePage, [ArticlePage.objects.get(pk=article.pk)])
    theirs = entries([article.pk])
    assert [row[:6] for row in ours] == [row[:6] for row in theirs]
    assert text in ours[0][5] or connection.vendor != "postgresql"
