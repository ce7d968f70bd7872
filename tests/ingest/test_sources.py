"""Source addresses are checked when saved the way the fetcher reads them, and one source's
fault never stops the poll of the others."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from masthead.ingest import pipeline
from masthead.ingest.models import Source
from masthead.news.models import ArticlePage
from tests.ingest.conftest import fixture

UNFETCHABLE = ["http://ex\u00adample.com/feed.xml", "http://0177.0.0.1/", "http://0x7f.1/feed"]


@pytest.mark.parametrize("url", UNFETCHABLE)
def test_a_source_address_the_fetcher_cannot_read_is_refused_when_saved(db, url):
    source = Source(name="Bad", url=url)
    with pytest.raises(ValidationError) as refused:
        source.full_clean()
    assert "url" in refused.value.message_dict


def test_an_ordinary_address_is_accepted(db):
    Source(name="Good", url="https://bücher.example/feed.xml").full_clean()


def test_one_bad_source_does_not_stop_the_others(server, source_for):
    server.add("/feed", fixture("rss2.xml"))
    bad = Source.objects.create(  # saved before the check existed, or straight into the table
        name="Soft hyphen", url=UNFETCHABLE[0], next_poll_at=timezone.now().replace(year=2000)
    )
    good = source_for("/feed")
    call_command("ingest")
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.failures == 1 and "IDNA" in bad.last_error
    assert bad.next_poll_at > timezone.now()  # backs off instead of blocking the queue
    assert good.last_success_at is not None and good.items_new > 0


def test_an_unexpected_fault_is_recorded_on_the_source(server, source_for, monkeypatch):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed")

    def broken(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(pipeline, "parse", broken)
    report = pipeline.source_poll(source)
    source.refresh_from_db()
    assert report.error == "unexpected RuntimeError: parser exploded"
    assert source.failures == 1 and source.next_poll_at > timezone.now()


def test_an_item_linking_to_an_unfetchable_host_only_loses_its_full_text(server, source_for):
    feed = fixture("rss2.xml").replace(
        b"https://wire.test/copper?utm_source=rss&amp;id=7", b"http://0177.0.0.1/copper"
    )
    server.add("/feed", feed)
    source = source_for("/feed", full_text=True)
    report = pipeline.source_poll(source)
    assert not report.error
    titles = ArticlePage.objects.filter(source_name=source.credit_line).values_list(
        "title", flat=True
    )
    assert any(t.startswith("Copper") for t in titles)
