"""The pipeline against a real HTTP server on 127.0.0.1: formats, conditional GET, faults,
back-off, idempotency."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone
from wagtail.models import Page

from masthead.discovery import signals as discovery_signals
from masthead.ingest import pipeline, tasks
from masthead.ingest.models import Item, Source
from masthead.news.models import ArticlePage

from .conftest import fixture

pytestmark = pytest.mark.django_db


def articles_from(source) -> list[ArticlePage]:
    ids = Item.objects.filter(source=source).exclude(article=None).values_list("article", flat=True)
    return list(ArticlePage.objects.filter(pk__in=ids).order_by("pk"))


@pytest.mark.parametrize(
    "name,fmt,content_type,title",
    [
        ("rss2.xml", "rss", "application/rss+xml", "Copper miners lift output as prices climb"),
        (
            "rss1.rdf",
            "rdf",
            "application/rdf+xml",
            "Parliament passes budget after late-night vote",
        ),
        ("atom.xml", "atom", "application/atom+xml", "Chip maker unveils low-power accelerator"),
        ("feed.json", "jsonfeed", "application/feed+json", "Central bank holds rates"),
        (
            "item.ninjs.json",
            "ninjs",
            "application/json",
            "Storm closes ports along the northern coast",
        ),
    ],
)
def test_each_format_becomes_published_articles(server, source_for, name, fmt, content_type, title):
    server.add("/feed", fixture(name), content_type=content_type)
    source = source_for("/feed", fmt)
    report = pipeline.source_poll(source)
    assert not report.error, report.error
    assert report.new >= 1
    article = articles_from(source)[0]
    assert article.title == title and article.live
    assert article.body and article.source_name == source.name
    assert article.get_latest_revision() is not None  # editors see where it came from
    source.refresh_from_db()
    assert source.items_new == report.new and source.last_success_at and not source.last_error


def test_feed_fields_reach_the_article(server, source_for):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed", canonical_to_original=True)
    pipeline.source_poll(source)
    copper = articles_from(source)[0]
    assert copper.source_url == "https://wire.test/copper?id=7"  # tracking parameter gone
    assert copper.is_canonical_at_source
    assert copper.published_at.isoformat().startswith("2026-11-24T10:00")
    assert "Commodities" in copper.tags.names()
    atom = source_for("/atom", "atom", name="atom")
    server.add("/atom", fixture("atom.xml"))
    pipeline.source_poll(atom)
    chip = articles_from(atom)[0]
    # The lead paragraph became the summary under the headline and left the body.
    assert chip.dek == "The accelerator runs language models on phones at half the power."
    assert [b.block_type for b in chip.body] == ["heading", "paragraph"]


def test_channel_rules_route_by_feed_category(server, source_for, home):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed", channel_rules="Football = sports\nCommodities = markets")
    pipeline.source_poll(source)
    parents = {a.title: a.get_parent().slug for a in articles_from(source)}
    assert parents == {
        "Copper miners lift output as prices climb": "markets",
        "Harbor City FC sign striker from Lisbon": "sports",
    }


def test_draft_policy_leaves_articles_for_review(server, source_for):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed", policy=Source.DRAFT)
    pipeline.source_poll(source)
    assert articles_from(source) and not any(a.live for a in articles_from(source))


def test_full_text_is_fetched_when_the_feed_has_a_summary(server, source_for):
    feed = fixture("rss2.xml").replace(
        b"https://wire.test/copper?utm_source=rss&amp;id=7", (server.url + "/copper").encode()
    )
    server.add("/feed", feed)
    server.add("/copper", fixture("page.html"), content_type="text/html")
    source = source_for("/feed", full_text=True)
    pipeline.source_poll(source)
    copper = [a for a in articles_from(source) if a.title.startswith("Copper")][0]
    text = " ".join(str(b.value) for b in copper.body)
    assert "maintenance is scheduled at two plants" in text
    assert "Copyright" not in text and "Home" not in text


def test_a_single_html_article_source(server, source_for):
    server.add("/story", fixture("page.html"), content_type="text/html")
    source = source_for("/story", Source.HTML)
    report = pipeline.source_poll(source)
    assert report.new == 1
    assert articles_from(source)[0].title == "Copper miners lift output as prices climb"


def test_conditional_get_sends_validators_and_skips_unchanged_feeds(server, source_for):
    server.add("/feed", fixture("rss2.xml"), etag='"v1"')
    source = source_for("/feed")
    pipeline.source_poll(source)
    source.refresh_from_db()
    assert source.etag == '"v1"'
    report = pipeline.source_poll(source)
    assert report.unchanged and report.seen == 0
    assert server.headers["/feed"]["If-None-Match"] == '"v1"'
    assert "Masthead" in server.headers["/feed"]["User-Agent"]


def test_running_a_feed_twice_creates_nothing_twice(server, source_for):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed")
    first = pipeline.source_poll(source)
    second = pipeline.source_poll(source)
    assert first.new == 2 and second.new == 0 and second.seen == 2
    assert ArticlePage.objects.filter(title__startswith="Copper miners").count() == 1


def dies_on_call(monkeypatch, n: int) -> None:
    """Make the n-th article creation kill the worker (not caught per item: the run stops)."""
    real = pipeline._article_build
    calls = {"n": 0}

    def create(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_article_build", create)


def test_a_crash_midway_loses_nothing_and_duplicates_nothing(server, source_for, monkeypatch):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed")
    dies_on_call(monkeypatch, 2)
    with pytest.raises(SystemExit):
        pipeline.source_poll(source)
    assert Item.objects.filter(source=source).count() == 0  # the batch rolled back whole
    monkeypatch.undo()
    report = pipeline.source_poll(source)
    assert report.new == 2 and report.seen == 2
    assert len(articles_from(source)) == 2


def test_a_batch_tried_again_links_its_items_to_the_articles_of_the_new_attempt(
    server, source_for, monkeypatch
):
    """Another worker recording one of its items makes the batch roll back and try again: the
    items then point at the articles written by the new attempt, not the rolled-back ones."""
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed")
    real = Item.objects.bulk_create
    calls = {"n": 0}

    def bulk_create(objs, *args, **kwargs):
        calls["n"] += 1
        created = real(objs, *args, **kwargs)
        if calls["n"] == 2:  # the copies of the first attempt, after its items were written
            raise IntegrityError("another worker recorded one of these")
        return created

    monkeypatch.setattr(Item.objects, "bulk_create", bulk_create)
    report = pipeline.source_poll(source)
    monkeypatch.undo()

    assert calls["n"] > 2 and report.new == 2
    items = Item.objects.filter(source=source)
    assert items.count() == 2
    live_ids = set(ArticlePage.objects.values_list("pk", flat=True))
    assert all(item.article_id in live_ids for item in items)
    assert len(articles_from(source)) == 2


def many_items(n: int) -> bytes:
    items = "".join(
        f"<item><title>Item {i}: {word} report from the harbour</title>"
        f"<link>https://example.com/{i}</link><guid>item-{i}</guid>"
        f"<description>{' '.join([word] * 5)} {i} "
        + " ".join(f"w{i}x{k}" for k in range(80))
        + "</description></item>"
        for i, word in enumerate(
            ["copper", "grain", "storm", "rates", "chips", "ports", "gold"] * 2
        )
        if i < n
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def first_batch_kept_then_the_rest_stored_once(source, monkeypatch) -> list:
    """After a crash in the second batch of three: the first batch is stored, nothing else; a
    second run stores the other four, each once. Returns the seven stored articles."""
    assert Item.objects.filter(source=source).count() == 3
    assert len(articles_from(source)) == 3
    monkeypatch.undo()
    report = pipeline.source_poll(source)
    assert report.new == 4 and report.seen == 7
    stored = articles_from(source)
    assert len(stored) == 7 and len({a.title for a in stored}) == 7
    return stored


def test_a_crash_in_a_later_batch_keeps_the_stored_batches_and_redoes_the_rest(
    server, source_for, monkeypatch
):
    server.add("/feed", many_items(7))
    source = source_for("/feed", policy=Source.PUBLISH, full_text=False)
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 3)
    dies_on_call(monkeypatch, 5)  # in the second batch of three
    with pytest.raises(SystemExit):
        pipeline.source_poll(source)
    stored = first_batch_kept_then_the_rest_stored_once(source, monkeypatch)
    assert all(a.live for a in stored)
    assert pipeline.source_poll(source).new == 0


def test_a_crash_inside_the_bulk_write_rolls_the_whole_batch_back(server, source_for, monkeypatch):
    server.add("/feed", many_items(7))
    source = source_for("/feed", policy=Source.PUBLISH, full_text=False)
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 3)
    real = pipeline.articles_bulk_create
    calls = {"n": 0}

    def create(**kwargs):  # the second batch dies after its pages and revisions are written
        calls["n"] += 1
        created = real(**kwargs)
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return created

    monkeypatch.setattr(pipeline, "articles_bulk_create", create)
    with pytest.raises(SystemExit):
        pipeline.source_poll(source)
    first_batch_kept_then_the_rest_stored_once(source, monkeypatch)
    assert Item.objects.filter(source=source).exclude(article=None).count() == 7
    assert not any(problems for problems in Page.find_problems())


def test_each_stored_batch_queues_one_discovery_update_and_a_crashed_one_none(
    server, source_for, monkeypatch, django_capture_on_commit_callbacks
):
    server.add("/feed", many_items(7))
    source = source_for("/feed", policy=Source.PUBLISH, full_text=False)
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 3)
    queued: list[list[int]] = []

    class Recorder:
        def enqueue(self, article_ids):
            queued.append(article_ids if isinstance(article_ids, list) else [article_ids])

    monkeypatch.setattr(discovery_signals, "articles_update_task", Recorder())
    monkeypatch.setattr(discovery_signals, "article_update_task", Recorder())
    build = pipeline._article_build
    dies_on_call(monkeypatch, 5)  # in the second batch of three
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SystemExit):
        pipeline.source_poll(source)
    assert [len(batch) for batch in queued] == [3]
    monkeypatch.setattr(pipeline, "_article_build", build)
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.source_poll(source).new == 4
    assert [len(batch) for batch in queued] == [3, 3, 1]
    stored = sorted(a.pk for a in articles_from(source))
    assert len(stored) == 7
    assert sorted(a for batch in queued for a in batch) == stored


def test_stored_articles_carry_a_revision_and_are_searchable(server, source_for):
    server.add("/feed", many_items(4))
    source = source_for("/feed", policy=Source.PUBLISH, full_text=False)
    pipeline.source_poll(source)
    stored = articles_from(source)
    assert len(stored) == 4
    for article in stored:
        assert article.live and article.live_revision_id == article.latest_revision_id
        assert article.latest_revision.as_object().title == article.title
        assert not article.has_unpublished_changes
    found = ArticlePage.objects.live().search("harbour")
    assert {a.pk for a in stored} <= {a.pk for a in found}


def test_items_for_review_are_stored_as_drafts_with_a_revision(server, source_for):
    server.add("/feed", many_items(2))
    source = source_for("/feed", policy=Source.DRAFT, full_text=False)
    pipeline.source_poll(source)
    drafts = articles_from(source)
    assert len(drafts) == 2
    assert all(not a.live and a.has_unpublished_changes and a.latest_revision_id for a in drafts)
    assert all(a.first_published_at is None for a in drafts)


def test_copies_inside_one_batch_point_at_the_article_stored_first(server, source_for):
    body = many_items(2).replace(b"<guid>item-1</guid>", b"<guid>copy-of-0</guid>")
    first = body.split(b"<item>")[1].split(b"</item>")[0]
    body = body.replace(
        b"</channel>",
        b"<item>"
        + first.replace(b"item-0", b"again-0").replace(
            b"https://example.com/0", b"https://example.com/zero"
        )
        + b"</item></channel>",
    )
    server.add("/feed", body)
    source = source_for("/feed", policy=Source.PUBLISH, full_text=False)
    report = pipeline.source_poll(source)
    assert report.new == 2 and report.duplicate == 1
    again = Item.objects.get(source=source, guid="again-0")
    original = Item.objects.get(source=source, guid="item-0")
    assert again.article_id == original.article_id is not None


def big_chunks():
    chunk = b"<rss>" + b"x" * 65536
    for _ in range(800):  # 50 MB if nobody stops reading
        yield chunk


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""


@pytest.mark.parametrize(
    "route,expect",
    [
        (dict(status=500), "HTTP 500"),
        (dict(delay=3), "timed out"),
        (dict(chunks=big_chunks), "limit"),
        (dict(body=b"<rss><channel><item>"), "invalid XML"),
        (dict(body=BOMB), "refused"),
        (dict(body=b""), "empty"),
        (dict(body=b"<html><body>Not a feed</body></html>"), "not an RSS or Atom feed"),
    ],
)
def test_faults_are_recorded_on_the_source_and_back_off(
    server, source_for, settings, route, expect
):
    settings.MASTHEAD_INGEST_READ_SECONDS = 1
    settings.MASTHEAD_INGEST_MAX_BYTES = 1_000_000
    server.add("/feed", **route)
    source = source_for("/feed", poll_minutes=10)
    before = timezone.now()
    report = pipeline.source_poll(source)
    assert expect in report.error
    source.refresh_from_db()
    assert expect in source.last_error and source.failures == 1 and source.last_error_at
    assert source.next_poll_at >= before + timedelta(minutes=20)  # 10 min x 2^1
    pipeline.source_poll(source)
    source.refresh_from_db()
    assert source.failures == 2 and source.next_poll_at >= before + timedelta(minutes=40)


def test_an_unreachable_host_fails_only_its_source(server, source_for):
    server.add("/feed", fixture("rss2.xml"))
    dead = Source.objects.create(name="dead", url="http://127.0.0.1:9/feed", format="rss")
    good = source_for("/feed")
    ctx = pipeline.Context()
    reports = [pipeline.source_poll(s, ctx=ctx) for s in (dead, good)]
    assert reports[0].error and reports[1].new == 2
    dead.refresh_from_db()
    assert dead.last_error


def test_wrong_encoding_and_items_without_links_or_dates(server, source_for):
    feed = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
    <item><title>Caf\xe9 owners protest new rents</title><description>Owners of caf\xe9s marched.</description></item>
    <item><description>No title, no link, no id.</description></item>
    </channel></rss>""".encode("latin-1")  # declared UTF-8, sent as Latin-1
    server.add("/feed", feed)
    source = source_for("/feed")
    report = pipeline.source_poll(source)
    assert not report.error
    assert report.new == 1 and report.rejected == 1
    assert articles_from(source)[0].title.startswith("Caf")
    assert pipeline.source_poll(source).new == 0  # still recognised without a link


def test_due_sources_are_queued_once(server, source_for):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed")
    assert tasks.sources_queue() == 1  # tests run tasks at once
    assert tasks.sources_queue() == 0  # not due again until poll_minutes later
    assert len(articles_from(source)) == 2


def test_the_admin_lists_source_health_and_polls_a_source(server, source_for, admin_client):
    server.add("/feed", fixture("rss2.xml"))
    source = source_for("/feed", name="Wire A")
    listing = admin_client.get("/admin/snippets/ingest/source/")
    assert (
        listing.status_code == 200
        and b"Wire A" in listing.content
        and b"Poll now" in listing.content
    )
    assert admin_client.get(f"/admin/ingest/sources/{source.pk}/poll/").status_code == 200
    response = admin_client.post(f"/admin/ingest/sources/{source.pk}/poll/")
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.items_new == 2
    listing = admin_client.get("/admin/snippets/ingest/source/").content.decode()
    assert ">2<" in listing.replace(" ", "").replace("\n", "")
    items = admin_client.get("/admin/snippets/ingest/item/")
    assert items.status_code == 200 and b"Copper miners" in items.content
    item = Item.objects.filter(source=source).first()
    assert admin_client.get(f"/admin/snippets/ingest/item/inspect/{item.pk}/").status_code == 200
    # the pipeline's record is read-only, even for administrators
    assert admin_client.get("/admin/snippets/ingest/item/add/").status_code in (302, 403)
    assert admin_client.get(f"/admin/snippets/ingest/item/edit/{item.pk}/").status_code in (
        302,
        403,
    )


def test_an_unknown_host_is_a_clear_error(source_for, db):
    source = Source.objects.create(name="nxdomain", url="http://no-such-host.invalid/feed")
    report = pipeline.source_poll(source)
    # "cannot resolve ...: [Errno -2] Name or service not known", or a timeout without a resolver
    assert report.error.startswith(("cannot resolve no-such-host.invalid", "timed out"))
    source.refresh_from_db()
    assert source.failures == 1 and source.last_error


def test_the_demo_wire_file_gives_known_new_duplicate_and_held_items(db, home, settings, client):
    from pathlib import Path

    from django.core.management import call_command

    call_command("ensure_demo_source")
    source = Source.objects.get(name="Demo wire")
    path = Path(settings.BASE_DIR) / "masthead/demo/static/demo/demo-wire.xml"
    report = pipeline.file_ingest(source, path)
    assert (report.seen, report.new, report.duplicate, report.held) == (10, 4, 2, 3)
    statuses = dict(Item.objects.filter(source=source).values_list("guid", "status"))
    assert statuses["demo-wire-1003"] == Item.NEAR_DUPLICATE  # "UPDATE 1-" rewrite
    assert statuses["demo-wire-1004"] == Item.DUPLICATE  # same text under another link
    assert {statuses[g] for g in ("demo-wire-1007", "demo-wire-1008", "demo-wire-1009")} == {
        Item.HELD
    }
    source.refresh_from_db()
    assert (source.items_new, source.items_duplicate, source.items_held) == (4, 2, 3)
    again = pipeline.file_ingest(source, path)
    assert (again.new, again.duplicate, again.held) == (0, 0, 0)
    near = Item.objects.get(guid="demo-wire-1003")
    assert near.article_id == Item.objects.get(guid="demo-wire-1002").article_id
    # The near-copy is shown as another source of the story, not published.
    html = client.get(near.article.url).content.decode()
    assert "More coverage of this story" in html and "Also reported by" in html
    assert "https://wire.example.org/2026/rates-hold-update" in html


def test_private_addresses_are_refused_in_production(server, source_for, settings):
    settings.MASTHEAD_INGEST_ALLOW_PRIVATE = False
    server.add("/feed", fixture("rss2.xml"))
    report = pipeline.source_poll(source_for("/feed"))
    assert report.error.startswith("refused: 127.0.0.1 is a private or local address")
