"""Story-aware listings: home, channel, tag and search pages show each story once, by its lead."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from taggit.models import Tag

from masthead.discovery.services import article_update, index_rebuild
from masthead.news import selectors
from masthead.news import stories as news_stories
from masthead.news.models import ArticlePage, ChannelPage, PinnedStory, StoryEntry
from masthead.news.stories import (
    Copy,
    headline_key,
    story_entries_replace,
    story_entries_set,
    story_entries_set_many,
    story_lead,
    story_leads_refresh,
)

pytestmark = pytest.mark.django_db

CARD = re.compile(r'class="(?:card|lead-story)__title"><a href="([^"]+)"')
SOURCES = re.compile(r'<a class="card__sources" href="([^"#]+)#story-heading"[^>]*>\+(\d+) source')
T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("copies", "lead"),
    [
        # The earliest original, not the earliest copy.
        (
            [
                Copy(1, "UPDATE 1-Mill shuts", False, T0),
                Copy(2, "Mill shuts", False, T0 + timedelta(hours=1)),
            ],
            2,
        ),
        (
            [
                Copy(1, "Mill shuts", True, T0),
                Copy(2, "Mill shuts", False, T0 + timedelta(hours=1)),
            ],
            2,
        ),
        (
            [
                Copy(1, "Mill shuts", False, T0 + timedelta(hours=1)),
                Copy(2, "Mill shuts", False, T0),
            ],
            2,
        ),
        # An editor's pin wins over everything.
        ([Copy(1, "Mill shuts", False, T0), Copy(2, "WRAPUP-Mill", True, T0, is_pinned=True)], 2),
        # Only copies: the earliest; equal times: the lowest id.
        ([Copy(3, "REFILE-Mill", True, T0), Copy(2, "UPDATE 2-Mill", True, T0)], 2),
    ],
)
def test_the_lead_is_the_pinned_then_the_earliest_original_then_the_earliest_copy(copies, lead):
    assert story_lead(copies).id == lead


def test_headline_key_drops_wire_prefixes_case_and_punctuation():
    assert headline_key("UPDATE 1-Solenne Pharma shares jump!") == "solenne pharma shares jump"


@pytest.fixture
def stories(corpus):
    index_rebuild()
    return {e.article_id: e.story for e in StoryEntry.objects.all()}


def url_story(stories) -> dict[str, int]:
    return {a.url: stories.get(a.pk, -a.pk) for a in ArticlePage.objects.live()}


def listed(client, path) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    return CARD.findall(response.content.decode())


def repeated_stories(urls, by_url) -> list[int]:
    return [s for s, n in Counter(by_url[u] for u in urls).items() if n > 1]


def test_the_corpus_has_syndicated_copies_and_wire_updates(stories):
    sizes = Counter(stories.values())
    assert sum(1 for n in sizes.values() if n > 1) >= 5
    titles = ArticlePage.objects.live().values_list("title", flat=True)
    assert any(t.startswith("UPDATE 1-") for t in titles)


def test_the_home_page_shows_each_story_once_across_top_stories_and_sections(client, stories):
    by_url = url_story(stories)
    urls = listed(client, "/")
    assert len(urls) > 10
    assert repeated_stories(urls, by_url) == []


def test_channel_pages_show_each_story_once_by_its_lead(client, stories):
    by_url = url_story(stories)
    for channel in ChannelPage.objects.live():
        latest = selectors.article_list_latest(within=channel)
        if not repeated_stories([a.url for a in latest[:20]], by_url):
            continue  # no copies on this channel's first page anyway
        urls = listed(client, channel.url)
        assert repeated_stories(urls, by_url) == []
        leads = set(StoryEntry.objects.filter(is_lead=True).values_list("article_id", flat=True))
        by_pk = {a.url: a.pk for a in latest}
        assert all(by_pk[u] in leads or by_pk[u] not in stories for u in urls)
        return
    pytest.fail("no channel lists two copies of one story")


def test_channel_pagination_lists_every_story_once_over_all_pages(client, stories, settings):
    settings.MASTHEAD_PAGE_SIZE = 3
    channel = max(
        ChannelPage.objects.live(), key=lambda c: selectors.article_list_latest(within=c).count()
    )
    by_url = url_story(stories)
    seen: list[str] = []
    for number in range(1, 100):
        html = client.get(channel.url, {"page": number}).content.decode()
        seen += CARD.findall(html)
        if 'rel="next"' not in html:
            break
    in_channel = {by_url[a.url] for a in selectors.article_list_latest(within=channel)}
    assert len(seen) > settings.MASTHEAD_PAGE_SIZE
    assert sorted(by_url[u] for u in seen) == sorted(in_channel)


def test_the_tag_page_shows_each_story_once(client, stories):
    by_url = url_story(stories)
    tag = max(Tag.objects.all(), key=lambda t: selectors.article_list_for_tag(slug=t.slug).count())
    raw = [a.url for a in selectors.article_list_for_tag(slug=tag.slug)]
    assert repeated_stories(raw, by_url)  # the tag holds copies, so the page has work to do
    urls = listed(client, f"/tags/{tag.slug}/")
    assert urls and repeated_stories(urls, by_url) == []


def test_search_ranks_stories_not_copies(client, stories):
    by_url = url_story(stories)
    story = Counter(stories.values()).most_common(1)[0][0]
    lead = StoryEntry.objects.get(story=story, is_lead=True).article
    query = " ".join(headline_key(lead.title).split()[:3])
    html = client.get("/search/", {"q": query}).content.decode()
    urls = CARD.findall(html)
    assert urls and repeated_stories(urls, by_url) == []
    assert lead.url in urls
    count = int(re.search(r"(\d+) results? for", html).group(1))
    assert count == len({by_url[u] for u in urls}) or count > settings.MASTHEAD_PAGE_SIZE


def test_a_lead_says_how_many_other_sources_carry_its_story(client, stories):
    html = client.get("/").content.decode()
    found = SOURCES.findall(html)
    assert found
    for url, others in found:
        article = ArticlePage.objects.get(url_path__endswith=url)
        entry = StoryEntry.objects.get(article=article)
        assert entry.is_lead and int(others) == entry.source_count - 1
        assert b'id="story-heading"' in client.get(url).content


def test_an_editors_pin_makes_its_copy_the_lead_of_its_story(client, stories, home):
    story = Counter(stories.values()).most_common(1)[0][0]
    copy = StoryEntry.objects.filter(story=story, is_lead=False).first().article
    PinnedStory.objects.create(home=home, article=copy, sort_order=0)
    story_leads_refresh(article_ids=[copy.pk])
    assert StoryEntry.objects.get(article=copy).is_lead
    assert StoryEntry.objects.filter(story=story, is_lead=True).count() == 1
    urls = listed(client, "/")
    assert urls[0] == copy.url


def test_publishing_a_copy_keeps_the_story_listed_once(client, stories, make_article):
    entry = StoryEntry.objects.filter(is_lead=True, source_count__gt=1).first()
    original = ArticlePage.objects.get(pk=entry.article_id)
    copy = make_article(
        title=f"UPDATE 2-{original.title}",
        dek=original.dek,
        body=original.body.raw_data,
        channel=original.get_parent().specific,
        is_canonical_at_source=True,
        source_url="https://wire.example/copy",
        published_at=original.published_at + timedelta(hours=1),
    )
    article_update(article_id=copy.pk)  # the task publishing queues after commit
    mine = StoryEntry.objects.get(article=copy)
    assert mine.story == entry.story and not mine.is_lead
    assert StoryEntry.objects.get(article=original).source_count == entry.source_count + 1
    assert copy.url not in listed(client, original.get_parent().url)


def entry_rows() -> set[tuple]:
    return set(StoryEntry.objects.values_list("article_id", "story", "lead_id", "source_count"))


def test_many_stories_set_at_once_store_what_setting_them_one_by_one_stores(stories):
    by_story: dict[int, list[int]] = {}
    for article_id, story in sorted(stories.items()):
        by_story.setdefault(story, []).append(article_id)
    shared = sorted(s for s, members in by_story.items() if len(members) > 1)
    single = sorted(s for s, members in by_story.items() if len(members) == 1)
    moved = by_story[shared[0]][-1]
    grouping = {
        shared[0]: by_story[shared[0]][:-1],  # loses an article
        shared[1]: by_story[shared[1]] + [moved] + by_story[single[0]],  # gains two
        single[0]: [],  # emptied into the one above
        single[1]: by_story[single[1]],  # unchanged
    }
    saved = list(StoryEntry.objects.all())
    for story, members in grouping.items():
        story_entries_set(story=story, article_ids=members)
    one_by_one = entry_rows()
    assert one_by_one != {(e.article_id, e.story, e.lead_id, e.source_count) for e in saved}
    StoryEntry.objects.all().delete()
    StoryEntry.objects.bulk_create(saved)
    assert story_entries_set_many(stories=grouping) == 3
    assert entry_rows() == one_by_one
    assert story_entries_set_many(stories=grouping) == 0


def test_replacing_every_story_a_few_rows_at_a_time_stores_what_setting_each_one_stores(
    stories, monkeypatch
):
    by_story: dict[int, list[int]] = {}
    for article_id, story in sorted(stories.items()):
        by_story.setdefault(story, []).append(article_id)
    StoryEntry.objects.all().delete()
    for story, members in by_story.items():
        story_entries_set(story=story, article_ids=members)
    one_by_one = entry_rows()
    assert any(count > 1 for *_, count in one_by_one)
    StoryEntry.objects.all().delete()
    monkeypatch.setattr(news_stories, "WRITE_BATCH", 3)  # batches end inside stories
    assert story_entries_replace(stories=by_story) == len(by_story)
    assert entry_rows() == one_by_one
