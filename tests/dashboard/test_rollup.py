"""The analytics roll-ups, checked against sums worked out by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.dashboard import rollup, selectors
from masthead.dashboard.models import (
    ChannelHour,
    IngestDay,
    SearchDay,
    SearchQueryDay,
    TopArticle,
    WidgetDay,
)
from masthead.engagement.hourly import widget_hours_add
from masthead.engagement.models import ArticleActivity
from masthead.engagement.ranking import hour_start
from masthead.ingest.models import Item, Source
from masthead.news.models import ArticlePage, ChannelPage
from masthead.news.search_log import search_query_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return hour_start(timezone.now()) + timedelta(minutes=30)


@pytest.fixture
def articles(home):
    stocks = ChannelPage.objects.get(slug="stocks")  # under Markets
    markets = stocks.get_parent()
    other = ChannelPage.objects.filter(depth=3).exclude(pk=markets.pk).first()
    in_stocks = ArticlePage.objects.live().descendant_of(stocks).order_by("pk")[:2]
    elsewhere = ArticlePage.objects.live().descendant_of(other).order_by("pk").first()
    return markets, other, list(in_stocks), elsewhere


def activity(article, hour, views, reactions=0):
    ArticleActivity.objects.create(
        article=article, hour=hour, path=article.path, view_count=views, reaction_count=reactions
    )


def test_channel_hours_sum_sub_channels_into_their_top_level_channel(articles, now):
    markets, other, (a, b), c = articles
    h0, h1 = hour_start(now) - timedelta(hours=1), hour_start(now)
    activity(a, h0, 5, 1)
    activity(b, h0, 7)
    activity(c, h0, 2, 2)
    activity(a, h1, 1)
    rollup.channel_hours_refresh(now=now)
    rows = {
        (r.hour, r.channel_path): (r.view_count, r.reaction_count)
        for r in ChannelHour.objects.all()
    }
    assert rows == {
        (h0, markets.path): (12, 1),
        (h0, other.path): (2, 2),
        (h1, markets.path): (1, 0),
    }


def test_a_second_run_adds_new_hours_without_counting_old_ones_twice(articles, now):
    _, _, (a, _), _ = articles
    activity(a, hour_start(now) - timedelta(hours=5), 4)
    rollup.channel_hours_refresh(now=now)
    activity(a, hour_start(now), 3)
    rollup.channel_hours_refresh(now=now + timedelta(minutes=10))
    assert sum(ChannelHour.objects.values_list("view_count", flat=True)) == 7


def test_most_read_lists_rank_each_window_and_scope_and_carry_the_window_before(articles, now):
    markets, other, (a, b), c = articles
    recent = hour_start(now) - timedelta(hours=2)
    day_before = recent - timedelta(hours=24)
    activity(a, recent, 10)
    activity(b, recent, 30)
    activity(c, recent, 20)
    activity(a, day_before, 40)  # out of the 24 h window, in the one before it
    rollup.top_articles_refresh(now=now)

    def ranked(window, scope):
        return [
            (t.article_id, t.view_count, t.previous_view_count)
            for t in TopArticle.objects.filter(window=window, scope_path=scope).order_by("rank")
        ]

    home = markets.get_parent().path
    assert ranked("24h", home) == [(b.pk, 30, 0), (c.pk, 20, 0), (a.pk, 10, 40)]
    assert ranked("24h", markets.path) == [(b.pk, 30, 0), (a.pk, 10, 40)]
    assert ranked("24h", other.path) == [(c.pk, 20, 0)]
    assert ranked("7d", home) == [(a.pk, 50, 0), (b.pk, 30, 0), (c.pk, 20, 0)]


def test_ingestion_days_count_outcomes_per_source_and_keep_held_reasons(home, now):
    wire = Source.objects.create(name="Wire", url="https://wire.example/feed")
    for i, (status, reason) in enumerate(
        [
            ("new", ""),
            ("new", ""),
            ("duplicate", "same GUID"),
            ("held", "keyword stuffing"),
            ("held", "keyword stuffing"),
            ("held", "too short"),
        ]
    ):
        Item.objects.create(source=wire, key=f"k{i}", status=status, reason=reason)
    rollup.ingest_days_refresh(now=timezone.now())
    rows = {(r.status, r.reason): r.item_count for r in IngestDay.objects.filter(source=wire)}
    assert rows == {
        ("new", ""): 2,
        ("duplicate", ""): 1,
        ("held", "keyword stuffing"): 2,
        ("held", "too short"): 1,
    }


def test_widget_and_search_days_sum_their_hours_and_keep_each_days_top_queries(
    home, now, monkeypatch
):
    today = hour_start(timezone.localtime(now)).replace(hour=0)
    widget_hours_add(
        rows={
            (today, "related", 1): (10, 2),
            (today + timedelta(hours=3), "related", 1): (5, 1),
            (today, "like", 2): (4, 0),
        }
    )
    for query, times in [("copper", 3), ("gold", 2), ("tin", 1)]:
        for _ in range(times):
            search_query_record(query=query, result_count=0 if query == "tin" else 5, at=today)
    monkeypatch.setattr(rollup, "QUERIES_PER_DAY", 1)
    rollup.widget_days_refresh(now=now)
    rollup.search_days_refresh(now=now)
    assert {
        (r.widget, r.position): (r.impression_count, r.click_count) for r in WidgetDay.objects.all()
    } == {("related", 1): (15, 3), ("like", 2): (4, 0)}
    assert (
        SearchDay.objects.get().search_count == 6 and SearchDay.objects.get().zero_result_count == 1
    )
    # The most asked and the most often fruitless survive; the tail stays in the hourly rows.
    assert sorted(SearchQueryDay.objects.values_list("query", flat=True)) == ["copper", "tin"]
    assert selectors.widget_totals(window="7d")[0].ctr == pytest.approx(3 / 15)
    assert selectors.search_queries(window="7d", zero_results=True) == [("tin", 1, 1)]
