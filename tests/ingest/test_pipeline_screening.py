"""Screening and article text through the whole pipeline, against a real local HTTP server: the
portal page in three shapes is held naming its keyword; every fixture format gives a summary of
whole sentences and a body that repeats neither it nor the headline."""

import re
from pathlib import Path

import pytest

import masthead
from masthead.ingest import pipeline
from masthead.ingest.models import Item, Source
from masthead.ingest.summary import DEK_LENGTH
from masthead.news.models import ArticlePage

from .conftest import fixture

pytestmark = pytest.mark.django_db

DEMO_WIRE = Path(masthead.__file__).parent / "demo" / "static" / "demo" / "demo-wire.xml"
RUN_TOGETHER = re.compile(r"[a-z][.!?][A-Z]")  # "…a cut.Policymakers…"


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _body_text(article: ArticlePage) -> list[str]:
    out = []
    for block in article.body:
        value = block.value
        text = (
            value.get("text", "")
            if isinstance(value, dict)
            else str(value.source if hasattr(value, "source") else value)
        )
        out.append(re.sub(r"<[^>]+>", " ", text))
    return [" ".join(t.split()) for t in out if t.strip()]


@pytest.mark.parametrize(
    "name,fmt,content_type",
    [
        ("portal.html", Source.HTML, "text/html"),
        ("portal.rss.xml", "rss", "application/rss+xml"),
        ("portal.feed.json", "jsonfeed", "application/feed+json"),
    ],
)
def test_the_portal_page_is_held_with_a_reason_naming_its_keyword(
    server, source_for, name, fmt, content_type
):
    server.add("/portal", fixture(name), content_type=content_type)
    source = source_for("/portal", fmt)
    report = pipeline.source_poll(source)
    assert not report.error, report.error
    assert report.held == 1 and report.new == 0
    item = Item.objects.get(source=source)
    assert item.status == Item.HELD and "Wexaloni" in item.reason
    assert not item.article.live  # held items are drafts whatever the policy
    assert item.article.title.startswith("Wexaloni-")  # screening saw the title as given


@pytest.mark.parametrize(
    "name,fmt,content_type",
    [
        ("rss2.xml", "rss", "application/rss+xml"),
        ("rss1.rdf", "rdf", "application/rdf+xml"),
        ("atom.xml", "atom", "application/atom+xml"),
        ("feed.json", "jsonfeed", "application/feed+json"),
        ("item.ninjs.json", "ninjs", "application/json"),
        ("page.html", Source.HTML, "text/html"),
        ("demo-wire", "rss", "application/rss+xml"),
    ],
)
def test_summaries_are_whole_sentences_and_the_body_repeats_neither_them_nor_the_headline(
    server, source_for, name, fmt, content_type
):
    body = DEMO_WIRE.read_bytes() if name == "demo-wire" else fixture(name)
    server.add("/feed", body, content_type=content_type)
    source = source_for("/feed", fmt)
    report = pipeline.source_poll(source)
    assert not report.error and report.new >= 1, report
    ids = Item.objects.filter(source=source).exclude(article=None).values_list("article", flat=True)
    articles = ArticlePage.objects.filter(pk__in=ids)
    assert articles
    for article in articles:
        paragraphs = _body_text(article)
        assert paragraphs, article.title
        assert len(article.dek) <= DEK_LENGTH
        assert not article.dek or article.dek.endswith((".", "!", "?", ":", '"', "”", "…")), (
            article.dek
        )
        assert not RUN_TOGETHER.search(article.dek), article.dek
        assert _words(paragraphs[0]) != _words(article.title)
        if article.dek:
            assert _words(article.dek) not in _words(" ".join(paragraphs)), article.title


def test_the_demo_wire_holds_its_content_farm_items_and_nothing_else(source_for):
    source = source_for("/demo", "rss")
    report = pipeline.file_ingest(source, DEMO_WIRE)
    assert not report.error
    held = Item.objects.filter(source=source, status=Item.HELD)
    assert report.new == 4 and report.held == 3, (report, list(held.values_list("title", "reason")))
