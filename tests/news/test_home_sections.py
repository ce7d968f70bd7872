"""The home page caches each channel's section on its own: a publish rebuilds only what it changes."""

import re
import time

from django.core.cache import cache

from masthead.news import selectors
from masthead.news.cache import CLOCK_SKEW_SECONDS, article_key
from masthead.news.models import ArticlePage, ChannelPage, HomePage
from masthead.news.selectors import SECTION_SIZE, TOP_STORIES

SECTION = re.compile(
    r'<section class="channel-section" aria-labelledby="section-(\d+)">.*?</section>', re.S
)


def sections_html(client) -> dict[int, str]:
    html = client.get("/").content.decode()
    return {int(m.group(1)): m.group(0) for m in SECTION.finditer(html)}


def built_at(name: str) -> float:
    return cache.get(name).built_at


def stories_entry(channel: ChannelPage) -> str:
    return f"channel-latest-stories:{channel.pk}:{SECTION_SIZE + TOP_STORIES}"


def section_entry(home: HomePage, section: selectors.Section) -> str:
    return f"fragment:home_section:{home.pk}:{section.channel.pk}:{section.article_ids}"


def top_channels(home: HomePage) -> list[ChannelPage]:
    return list(ChannelPage.objects.child_of(home).live().order_by("path"))


def test_a_publish_in_one_channel_leaves_the_other_home_sections_cached(client, home, make_article):
    world = ChannelPage.objects.get(slug="world")
    sections_html(client)
    sections = selectors.channel_list_sections(home=home)
    stories_built = {c.pk: built_at(stories_entry(c)) for c in top_channels(home)}
    sections_built = {s.channel.pk: built_at(section_entry(home, s)) for s in sections}

    make_article(title="Glacier melt closes the pass", channel=world)

    assert "Glacier melt closes the pass" in client.get("/").content.decode()
    after = selectors.channel_list_sections(home=home)
    changed = {s.channel.pk for s, a in zip(sections, after, strict=True) if s != a}
    # At most the story Top stories pushed out comes back in its own section.
    assert len(changed) <= 1
    for channel in top_channels(home):
        rebuilt = built_at(stories_entry(channel)) != stories_built[channel.pk]
        assert rebuilt == (channel.pk == world.pk), channel.slug
    for section in after:
        if section.channel.pk not in changed:
            entry = section_entry(home, section)
            assert built_at(entry) == sections_built[section.channel.pk], section.channel.slug


def test_a_new_article_shows_in_its_section_once_top_stories_push_it_out(
    client, home, make_article
):
    world = ChannelPage.objects.get(slug="world")
    sections_html(client)

    first = make_article(title="Harbour pilots strike at dawn", channel=world)
    assert first.title not in sections_html(client)[world.pk]  # it is a top story
    for n in range(TOP_STORIES):
        make_article(title=f"Ferry timetable change {n}", channel=world)

    shown = sections_html(client)
    assert first.title in shown[world.pk]
    assert sum(first.title in html for html in shown.values()) == 1
    cache.clear()
    assert sections_html(client) == shown  # the same as built from nothing


def test_a_story_top_stories_pushes_out_comes_back_in_its_section(client, home, make_article):
    top = selectors.home_list_top_stories(home=home)
    last = top[-1]
    channel = next(c for c in top_channels(home) if last.path.startswith(c.path))
    assert last.title not in sections_html(client)[channel.pk]

    make_article(title="Lithium price slides again", channel=ChannelPage.objects.get(slug="world"))

    shown = sections_html(client)
    assert last.title in shown[channel.pk]
    cache.clear()
    assert sections_html(client) == shown


def test_editing_a_headline_refreshes_the_section_that_shows_it(client, home):
    section = next(s for s in selectors.channel_list_sections(home=home) if s.ids)
    article = ArticlePage.objects.get(pk=section.ids[0])
    sections_html(client)

    article.title = "A corrected headline for the section"
    article.save_revision().publish()

    assert "A corrected headline for the section" in sections_html(client)[section.channel.pk]


def test_what_the_home_page_shows_follows_a_publish_and_an_unpublish(home, make_article):
    ids, _ = selectors.home_list_shown(home=home)
    article = make_article(title="Nickel miners return to work in Sudbury")
    assert article.pk not in ids

    ids, stories = selectors.home_list_shown(home=home)
    assert ids[0] == article.pk

    article.unpublish()
    ids, _ = selectors.home_list_shown(home=home)
    assert article.pk not in ids


def test_what_the_home_page_shows_stays_cached_when_an_article_it_does_not_show_changes(
    home, django_capture_on_commit_callbacks
):
    ids, _ = selectors.home_list_shown(home=home)
    read = cache.get(f"home-shown:{home.pk}").keys  # with the listings' spare stories
    elsewhere = next(
        a for a in ArticlePage.objects.live().order_by("pk") if article_key(a.pk) not in read
    )
    with django_capture_on_commit_callbacks(execute=True):  # its listing facts are kept
        elsewhere.save_revision().publish()
    time.sleep(CLOCK_SKEW_SECONDS)
    selectors.home_list_shown(home=home)
    built = built_at(f"home-shown:{home.pk}")

    elsewhere.save_revision().publish()  # an edit: no listing gains or loses it

    assert selectors.home_list_shown(home=home)[0] == ids
    assert built_at(f"home-shown:{home.pk}") == built
