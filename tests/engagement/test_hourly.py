"""Impressions, widget clicks per position and where views came from, counted per hour."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from masthead.engagement import hourly
from masthead.engagement.hourly_models import ArticleSourceHour, WidgetHour
from masthead.news.models import ArticlePage
from tests.engagement.conftest import BROWSER

TEN = datetime(2025, 4, 9, 10, 0, tzinfo=UTC)
ELEVEN = datetime(2025, 4, 9, 11, 0, tzinfo=UTC)


def at(hour: int, minute: int) -> datetime:
    return datetime(2025, 4, 9, hour, minute, tzinfo=UTC)


@pytest.fixture
def pair(home):
    first, second, third = ArticlePage.objects.live().order_by("pk")[:3]
    return first, second, third


def widget_rows() -> dict:
    return {
        (r.hour, r.widget, r.position): (r.impression_count, r.click_count)
        for r in WidgetHour.objects.all()
    }


def source_rows() -> dict:
    return {(r.article_id, r.hour, r.source): r.view_count for r in ArticleSourceHour.objects.all()}


def test_a_fixed_sequence_of_events_adds_up_to_the_hourly_rows_worked_out_by_hand(pair):
    x, y, z = pair
    shown = hourly.page_shown_record
    click = hourly.widget_click_record
    assert shown(
        reader_id="a",
        article_id=x.pk,
        source="related",
        shown={"related": 3, "like": 2},
        at=at(10, 5),
    )
    assert click(
        reader_id="a", widget="related", position=2, article_id=x.pk, target_id=y.pk, at=at(10, 6)
    )
    # The same reader again within the window: neither the view nor the same click counts twice.
    assert not shown(
        reader_id="a", article_id=x.pk, source="home", shown={"related": 3}, at=at(10, 10)
    )
    assert not click(
        reader_id="a", widget="related", position=2, article_id=x.pk, target_id=y.pk, at=at(10, 11)
    )
    assert shown(reader_id="b", article_id=x.pk, source="home", shown={"related": 3}, at=at(10, 40))
    assert click(
        reader_id="b", widget="related", position=1, article_id=x.pk, target_id=z.pk, at=at(10, 41)
    )
    assert shown(reader_id="c", article_id=x.pk, source="external", shown={}, at=at(11, 2))
    assert shown(
        reader_id="c", article_id=y.pk, source="related", shown={"related": 1}, at=at(11, 3)
    )

    assert widget_rows() == {
        (TEN, "related", 1): (2, 1),
        (TEN, "related", 2): (2, 1),
        (TEN, "related", 3): (2, 0),
        (TEN, "like", 1): (1, 0),
        (TEN, "like", 2): (1, 0),
        (ELEVEN, "related", 1): (1, 0),
    }
    assert source_rows() == {
        (x.pk, TEN, "related"): 1,
        (x.pk, TEN, "home"): 1,
        (x.pk, ELEVEN, "external"): 1,
        (y.pk, ELEVEN, "related"): 1,
    }


def test_items_far_down_a_list_are_counted_at_the_last_position_kept(pair):
    x, y, _ = pair
    hourly.page_shown_record(
        reader_id="a", article_id=x.pk, source="direct", shown={"ranking": 50}, at=at(9, 0)
    )
    hourly.widget_click_record(
        reader_id="a", widget="ranking", position=45, article_id=x.pk, target_id=y.pk, at=at(9, 1)
    )
    rows = widget_rows()
    assert len(rows) == hourly.MAX_POSITION
    assert rows[(at(9, 0), "ranking", hourly.MAX_POSITION)] == (1, 1)


def test_unknown_widgets_sources_and_articles_are_refused_and_count_nothing(pair):
    x, _, _ = pair
    with pytest.raises(hourly.UnknownPlace):
        hourly.page_shown_record(reader_id="a", article_id=x.pk, source="newsletter", shown={})
    with pytest.raises(hourly.UnknownPlace):
        hourly.page_shown_record(
            reader_id="a", article_id=x.pk, source="home", shown={"sidebar": 2}
        )
    with pytest.raises(hourly.UnknownArticle):
        hourly.page_shown_record(reader_id="a", article_id=10**9, source="home", shown={})
    assert not WidgetHour.objects.exists() and not ArticleSourceHour.objects.exists()


def post(client: Client, path: str, payload: dict, **headers):
    return client.post(path, json.dumps(payload), content_type="application/json", **headers)


def established(article: ArticlePage) -> Client:
    """A browser with the reader cookie an earlier response (its first view beacon) issued."""
    browser = Client(HTTP_USER_AGENT=BROWSER)
    post(browser, "/api/v1/events", {"type": "view", "article": article.pk})
    assert browser.cookies.get("mh_reader"), "the first beacon issues the reader id"
    return browser


def test_the_beacons_count_a_browser_once_and_refuse_cross_site_and_bad_input(pair):
    x, y, _ = pair
    browser = established(x)
    payload = {"article": x.pk, "source": "search", "shown": {"related": 2}}
    assert post(browser, "/api/v1/events/shown", payload).json() == {"counted": True}
    assert post(browser, "/api/v1/events/shown", payload).json() == {"counted": False}
    click = {"article": x.pk, "widget": "related", "position": 2, "target": y.pk}
    assert post(browser, "/api/v1/events/widget-click", click).json() == {"counted": True}
    assert post(browser, "/api/v1/events/widget-click", click).json() == {"counted": False}
    assert (
        post(browser, "/api/v1/events/shown", payload, HTTP_SEC_FETCH_SITE="cross-site").status_code
        == 403
    )
    assert post(browser, "/api/v1/events/shown", payload | {"source": "nowhere"}).status_code == 422
    assert post(browser, "/api/v1/events/widget-click", click | {"position": 0}).status_code == 422
    assert post(browser, "/api/v1/events/shown", payload | {"article": 10**9}).status_code == 404
    bot = Client(HTTP_USER_AGENT="curl/8.0")
    assert post(bot, "/api/v1/events/shown", payload).json() == {"counted": False}
    assert not bot.cookies.get("mh_reader"), "a bot is given no reader id"
    assert sum(r.view_count for r in ArticleSourceHour.objects.all()) == 1
    assert sorted(widget_rows().values()) == [(1, 0), (1, 1)]


PER_AGENT, PER_NETWORK = 4, 6


@pytest.fixture
def anonymous_budget(settings):
    settings.MASTHEAD_READER_MINT_RATE = "1/m"
    settings.MASTHEAD_ANON_VIEW_RATE = f"{PER_AGENT}/h"
    settings.MASTHEAD_ANON_VIEW_RATE_NETWORK = f"{PER_NETWORK}/h"


def cookieless(address: str, agent: str = BROWSER) -> Client:
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)


def test_clients_without_a_reader_id_cannot_buy_impressions_or_clicks(pair, anonymous_budget):
    articles = list(ArticlePage.objects.live().order_by("pk")[:12])
    x, y, _ = pair
    for n, article in enumerate(articles * 2):  # a new address inside one /64 every time
        shown = {"article": article.pk, "source": "home", "shown": {"related": 1}}
        answer = post(cookieless(f"2001:db8:5:6::{n + 1:x}"), "/api/v1/events/shown", shown)
        assert answer.status_code == 202
        click = {"article": x.pk, "widget": "related", "position": 1, "target": y.pk}
        answer = post(cookieless(f"2001:db8:5:6::{n + 1:x}"), "/api/v1/events/widget-click", click)
        assert answer.json() == {"counted": False}
    for n, article in enumerate(articles):  # a new user agent every time, same network
        shown = {"article": article.pk, "source": "home", "shown": {"related": 1}}
        post(cookieless("2001:db8:5:6::1", f"{BROWSER} build/{n}"), "/api/v1/events/shown", shown)
    assert sum(r.view_count for r in ArticleSourceHour.objects.all()) == PER_NETWORK
    assert list(widget_rows().values()) == [(PER_NETWORK, 0)]  # position 1 of Related


def test_the_analytics_beacons_share_one_budget_per_ipv6_64(pair, settings):
    settings.MASTHEAD_EVENT_RATE_IP = "5/m"
    x, y, _ = pair
    click = {"article": x.pk, "widget": "related", "position": 1, "target": y.pk}
    statuses = [
        post(
            cookieless(f"2001:db8:5:7::{n + 1:x}"), "/api/v1/events/widget-click", click
        ).status_code
        for n in range(8)
    ]
    assert statuses == [202] * 5 + [429] * 3
    elsewhere = cookieless("2001:db8:5:8::1")
    assert post(elsewhere, "/api/v1/events/widget-click", click).status_code == 202
