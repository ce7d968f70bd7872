"""Generated articles written by the bulk path equal the same articles written the ordinary way
(Wagtail's `add_child`, `save_revision().publish()` and its own indexing)."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from taggit.models import Tag
from wagtail.models import Page, Revision
from wagtail.search.models import IndexEntry

from masthead.demo.corpus import CorpusGenerator, article_blocks
from masthead.news import bulk
from masthead.news.bulk import article_body_raw, article_bulk_create, articles_bulk_create
from masthead.news.models import ArticlePage, Author, ChannelPage
from masthead.news.search_index import TitleNorms
from masthead.news.tree import STEPLEN

pytestmark = pytest.mark.django_db

# What says where and when a page was written, not what was written.
PLACED = {
    "id",
    "page_ptr_id",
    "path",
    "url_path",
    "translation_key",
    "latest_revision_id",
    "live_revision_id",
    "latest_revision_created_at",
    "first_published_at",
    "last_published_at",
}
REVISION_PLACED = PLACED | {"pk", "page_ptr", "latest_revision", "live_revision"}


def fields(article):
    return {
        "title": article.title,
        "dek": article.dek,
        "column": article.column,
        "byline": article.byline,
        "source_name": article.source_name,
        "published_at": article.published_at,
    }


@pytest.fixture
def generated():
    now = datetime(2026, 5, 1, tzinfo=UTC)
    return list(CorpusGenerator(seed=3, now=now).articles(12))


def channel(home, slug: str) -> ChannelPage:
    page = ChannelPage(title=slug.title(), slug=slug)
    home.add_child(instance=page)
    return page


def fast(home, generated) -> list[ArticlePage]:
    articles = []
    for item in generated:
        article = bulk.instance_unsaved(ArticlePage, **fields(item))
        article.body, article.__dict__["body_text"] = article_body_raw(article_blocks(item))
        articles.append(article)
    return article_bulk_create(
        channel=channel(home, "fast"),
        articles=articles,
        tags=[item.tags for item in generated],
        norms=TitleNorms(),
        with_history=True,
    )


def ordinary(home, generated, slugs: list[str]) -> list[ArticlePage]:
    parent = channel(home, "ordinary")
    articles = []
    for item, slug in zip(generated, slugs, strict=True):
        article = ArticlePage(slug=slug, body=article_blocks(item), **fields(item))
        article.tags.add(*item.tags)
        parent.add_child(instance=article)
        article.save_revision().publish()
        articles.append(article)
    return articles


def page_row(article: ArticlePage) -> dict:
    row = ArticlePage.objects.filter(pk=article.pk).values().get()
    row["body"] = [(block["type"], block["value"]) for block in row["body"].raw_data]
    return {key: value for key, value in row.items() if key not in PLACED} | {
        "step": row["path"][-STEPLEN:]
    }


def revision(article: ArticlePage) -> dict:
    content = Revision.objects.get(pk=ArticlePage.objects.get(pk=article.pk).latest_revision_id)
    data = content.content
    data["body"] = [(block["type"], block["value"]) for block in json.loads(data["body"])]
    data["tagged_items"] = sorted(item["tag"] for item in data["tagged_items"])
    return {key: value for key, value in data.items() if key not in REVISION_PLACED}


def search_row(article: ArticlePage) -> tuple[str, str, str]:
    entry = IndexEntry.objects.get(object_id=str(article.pk))
    return str(entry.title), str(entry.body), str(entry.autocomplete)


def test_bulk_written_articles_equal_ordinary_ones_in_pages_revisions_search_and_tree(
    home, generated
):
    bulk = fast(home, generated)
    plain = ordinary(home, generated, [article.slug for article in bulk])

    assert [page_row(a) for a in bulk] == [page_row(a) for a in plain]
    assert [revision(a) for a in bulk] == [revision(a) for a in plain]
    assert [search_row(a) for a in bulk] == [search_row(a) for a in plain]
    assert [
        sorted(ArticlePage.objects.get(pk=a.pk).tags.values_list("name", flat=True)) for a in bulk
    ] == [
        sorted(ArticlePage.objects.get(pk=a.pk).tags.values_list("name", flat=True)) for a in plain
    ]
    parents = ChannelPage.objects.filter(slug__in=["fast", "ordinary"])
    assert {page.numchild for page in parents} == {len(generated)}
    assert all(not problems for problems in Page.find_problems())


def test_one_bulk_write_places_each_article_under_its_own_channel(home, generated):
    east, west = channel(home, "east"), channel(home, "west")
    channels = [east if i % 3 else west for i in range(len(generated))]
    articles = []
    for item in generated:
        article = bulk.instance_unsaved(ArticlePage, **fields(item))
        article.body, article.__dict__["body_text"] = article_body_raw(article_blocks(item))
        articles.append(article)
    articles_bulk_create(
        channels=channels,
        articles=articles,
        tags=[item.tags for item in generated],
        norms=TitleNorms(),
        with_history=True,
    )

    for parent in (east, west):
        children = [a for a, c in zip(articles, channels, strict=True) if c is parent]
        stored = list(parent.get_children().order_by("path").values_list("pk", "url_path"))
        assert [pk for pk, _ in stored] == [a.pk for a in children]
        assert all(url.startswith(parent.url_path) for _, url in stored)
        assert ChannelPage.objects.get(pk=parent.pk).numchild == len(children)
    assert all(not problems for problems in Page.find_problems())
    assert IndexEntry.objects.filter(object_id__in=[str(a.pk) for a in articles]).count() == 12


def test_a_new_tag_takes_the_first_free_slug_and_two_new_names_never_share_one(db):
    Tag.objects.create(name="Oil & gas", slug="oil-gas")
    Tag.objects.create(name="Oil, gas", slug="oil-gas-1")
    found = bulk._tags_by_name(["Oil gas", "oil-gas", "Oil & gas"])
    assert found["oil & gas"].slug == "oil-gas"
    assert {found["oil gas"].slug, found["oil-gas"].slug} == {"oil-gas-2", "oil-gas-3"}


def test_a_tag_another_writer_creates_at_the_same_moment_is_read_back_not_duplicated(
    db, monkeypatch
):
    chosen = bulk._slugs_free

    def meanwhile(names):
        slugs = chosen(names)
        Tag.objects.create(name="Copper", slug="copper")  # the other writer commits first
        return slugs

    monkeypatch.setattr(bulk, "_slugs_free", meanwhile)
    found = bulk._tags_by_name(["Copper", "Zinc"])
    assert found["copper"] == Tag.objects.get(name="Copper")
    assert Tag.objects.filter(name__in=["Copper", "Zinc"]).count() == 2


def test_new_tags_are_inserted_in_slug_order_so_two_writers_never_wait_on_each_other_crosswise(
    db,
):
    """A tag row takes a name and a slug entry; inserting in name order ("C-d" sorts before
    "a b") would let two writers each hold a slug the other is about to take."""
    found = bulk._tags_by_name(["C-d", "a b"])
    assert found["a b"].slug == "a-b" and found["c-d"].slug == "c-d"
    assert found["a b"].pk < found["c-d"].pk


def test_an_instance_built_from_defaults_equals_the_constructed_one_but_for_its_own_key(home):
    author = Author.objects.first()
    given = {"title": "Rates hold", "dek": "A pause.", "author": author, "body": []}
    built, constructed = bulk.instance_unsaved(ArticlePage, **given), ArticlePage(**given)
    values = {field.attname for field in ArticlePage._meta.concrete_fields} - {"translation_key"}
    assert {name: getattr(built, name) for name in values} == {
        name: getattr(constructed, name) for name in values
    }
    assert built.author == author and built._state.adding
    assert built.translation_key != bulk.instance_unsaved(ArticlePage).translation_key
    assert built.body is not bulk.instance_unsaved(ArticlePage).body


def test_block_ids_are_distinct_version_4_uuids_written_as_uuid4_writes_them():
    ids = bulk.uuid4_strings(2000)
    parsed = [uuid.UUID(text) for text in ids]
    assert len(set(ids)) == 2000
    assert all(str(value) == text for value, text in zip(parsed, ids, strict=True))
    assert {(value.version, value.variant) for value in parsed} == {(4, uuid.RFC_4122)}
    # Every other bit is drawn: each position of the hex digits takes many values.
    assert all(
        len({text[i] for text in ids}) > 8 for i in range(36) if i not in (8, 13, 14, 18, 19, 23)
    )
