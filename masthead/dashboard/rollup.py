"""Bringing the dashboard's roll-ups up to date (periodic, and `masthead dashboard_rollup`).

Hourly engagement rows (`engagement.ArticleActivity`) become per-channel hours and most-read
lists; the ingestion record becomes per-source days. Each run recomputes only from the last
finished point, less a little overlap for late events, so a run costs the new hours, not history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone
from wagtail.models import Page

from masthead.dashboard.models import (
    ChannelHour,
    IngestDay,
    RollupMark,
    SearchDay,
    SearchQueryDay,
    TopArticle,
    WidgetDay,
)
from masthead.engagement.hourly_models import WidgetHour
from masthead.engagement.models import ArticleActivity
from masthead.engagement.ranking import hour_start
from masthead.ingest.models import Item
from masthead.news.models import ChannelPage, HomePage
from masthead.news.search_log import SearchQueryHour

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
TOP_SIZE = 20
HISTORY = timedelta(days=400)  # how far back a first run reaches
OVERLAP = timedelta(hours=2)  # queued views of the last hours may still be on their way
INGEST_OVERLAP = timedelta(days=1)
QUERIES_PER_DAY = 1000  # most asked, and most often fruitless, queries kept per day
# Root, home page, top-level channel: the first three steps of a tree path.
TOP_CHANNEL_DEPTH = 3


def top_channel_path(path: str) -> str:
    """The tree path of the top-level channel an article path lies under."""
    return path[: Page.steplen * TOP_CHANNEL_DEPTH]


def _mark(name: str) -> datetime | None:
    return RollupMark.objects.filter(name=name).values_list("done_until", flat=True).first()


def _mark_set(name: str, until: datetime) -> None:
    RollupMark.objects.update_or_create(name=name, defaults={"done_until": until})


def channel_hours_refresh(*, now: datetime) -> int:
    """Recompute per-channel hours from the last mark (less OVERLAP); returns rows written."""
    since = (_mark("channel_hours") or now - HISTORY) - OVERLAP
    since = hour_start(since)
    channels = set(
        ChannelPage.objects.filter(depth=TOP_CHANNEL_DEPTH).values_list("path", flat=True)
    )
    totals: dict[tuple[datetime, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        ArticleActivity.objects.filter(hour__gte=since)
        .annotate(channel=Substr("path", 1, Page.steplen * TOP_CHANNEL_DEPTH))
        .values("hour", "channel")
        .annotate(views=Sum("view_count"), reactions=Sum("reaction_count"))
    )
    for row in rows:
        key = (row["hour"], row["channel"] if row["channel"] in channels else "")
        totals[key][0] += row["views"]
        totals[key][1] += row["reactions"]
    with transaction.atomic():
        ChannelHour.objects.filter(hour__gte=since).delete()
        ChannelHour.objects.bulk_create(
            [
                ChannelHour(hour=h, channel_path=c, view_count=v, reaction_count=r)
                for (h, c), (v, r) in totals.items()
            ],
            batch_size=1000,
        )
        _mark_set("channel_hours", hour_start(now))
    return len(totals)


def _window_sums(start: datetime, end: datetime) -> dict[int, tuple[str, int, int]]:
    """Article id -> (path, views, reactions) of the hours in [start, end)."""
    rows = (
        ArticleActivity.objects.filter(hour__gte=start, hour__lt=end)
        .values("article_id", "path")
        .annotate(views=Sum("view_count"), reactions=Sum("reaction_count"))
    )
    return {r["article_id"]: (r["path"], r["views"], r["reactions"]) for r in rows}


def top_articles_refresh(*, now: datetime) -> int:
    """Recompute the most-read lists of every window, site-wide and per top-level channel."""
    home = HomePage.objects.live().values_list("path", flat=True).first() or ""
    channels = list(
        ChannelPage.objects.filter(depth=TOP_CHANNEL_DEPTH).values_list("path", flat=True)
    )
    end = hour_start(now) + timedelta(hours=1)
    rows = []
    for window, length in WINDOWS.items():
        current = _window_sums(end - length, end)
        previous = _window_sums(end - 2 * length, end - length)
        order = sorted(current, key=lambda a: (-current[a][1], -current[a][2], a))
        for scope in [home, *channels]:
            ranked = [a for a in order if current[a][0].startswith(scope)][:TOP_SIZE]
            rows += [
                TopArticle(
                    window=window,
                    scope_path=scope,
                    rank=rank,
                    article_id=a,
                    view_count=current[a][1],
                    reaction_count=current[a][2],
                    previous_view_count=previous.get(a, ("", 0, 0))[1],
                )
                for rank, a in enumerate(ranked, start=1)
            ]
    with transaction.atomic():
        TopArticle.objects.all().delete()
        TopArticle.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def ingest_days_refresh(*, now: datetime) -> int:
    """Recompute per-source daily outcomes from the last mark (less a day)."""
    mark = _mark("ingest_days")
    since = (mark - INGEST_OVERLAP) if mark else now - HISTORY
    first_day = timezone.localtime(since).date()
    rows = (
        Item.objects.filter(created_at__date__gte=first_day)
        .annotate(day=TruncDate("created_at"))
        .values("day", "source_id", "status", "reason")
        .annotate(n=Count("id"))
    )
    totals: dict[tuple, int] = defaultdict(int)
    for r in rows:
        reason = r["reason"] if r["status"] == Item.HELD else ""
        totals[(r["day"], r["source_id"], r["status"], reason[:255])] += r["n"]
    with transaction.atomic():
        IngestDay.objects.filter(day__gte=first_day).delete()
        IngestDay.objects.bulk_create(
            [
                IngestDay(day=d, source_id=s, status=st, reason=rs, item_count=n)
                for (d, s, st, rs), n in totals.items()
            ],
            batch_size=1000,
        )
        _mark_set("ingest_days", now)
    return len(totals)


def _first_open_day(name: str, now: datetime) -> tuple[datetime, object]:
    """The first hour of the first day to recompute: the day of the last mark, or all history."""
    mark = _mark(name)
    first_day = timezone.localtime((mark - OVERLAP) if mark else now - HISTORY).date()
    start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    return start, first_day


def widget_days_refresh(*, now: datetime) -> int:
    """Recompute daily widget rows from the first unfinished day."""
    start, first_day = _first_open_day("widget_days", now)
    rows = (
        WidgetHour.objects.filter(hour__gte=start)
        .annotate(day=TruncDate("hour"))
        .values("day", "widget", "position")
        .annotate(i=Sum("impression_count"), c=Sum("click_count"))
    )
    days = [
        WidgetDay(
            day=r["day"],
            widget=r["widget"],
            position=r["position"],
            impression_count=r["i"],
            click_count=r["c"],
        )
        for r in rows
    ]
    with transaction.atomic():
        WidgetDay.objects.filter(day__gte=first_day).delete()
        WidgetDay.objects.bulk_create(days, batch_size=1000)
        _mark_set("widget_days", now)
    return len(days)


def search_days_refresh(*, now: datetime) -> int:
    """Recompute daily search totals and each day's top queries from the first unfinished day."""
    start, first_day = _first_open_day("search_days", now)
    per_day: dict[date, list[tuple[str, int, int]]] = defaultdict(list)
    rows = (
        SearchQueryHour.objects.filter(hour__gte=start)
        .annotate(day=TruncDate("hour"))
        .values("day", "query")
        .annotate(n=Sum("search_count"), z=Sum("zero_result_count"))
    )
    for r in rows:
        per_day[r["day"]].append((r["query"], r["n"], r["z"]))
    totals, kept = [], []
    for day, queries in per_day.items():
        totals.append(
            SearchDay(
                day=day,
                search_count=sum(q[1] for q in queries),
                zero_result_count=sum(q[2] for q in queries),
            )
        )
        top = sorted(queries, key=lambda q: (-q[1], q[0]))[:QUERIES_PER_DAY]
        fruitless = sorted((q for q in queries if q[2]), key=lambda q: (-q[2], q[0]))[
            :QUERIES_PER_DAY
        ]
        for query, n, z in {q[0]: q for q in top + fruitless}.values():
            kept.append(SearchQueryDay(day=day, query=query, search_count=n, zero_result_count=z))
    with transaction.atomic():
        SearchDay.objects.filter(day__gte=first_day).delete()
        SearchQueryDay.objects.filter(day__gte=first_day).delete()
        SearchDay.objects.bulk_create(totals, batch_size=1000)
        SearchQueryDay.objects.bulk_create(kept, batch_size=1000)
        _mark_set("search_days", now)
    return len(kept)


def rollup_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """Bring every roll-up up to date; returns rows written per roll-up."""
    now = now or timezone.now()
    return {
        "channel hours": channel_hours_refresh(now=now),
        "top articles": top_articles_refresh(now=now),
        "ingest days": ingest_days_refresh(now=now),
        "widget days": widget_days_refresh(now=now),
        "search days": search_days_refresh(now=now),
    }


def rollup_refreshed_at() -> datetime | None:
    """When the roll-ups were last brought up to date (None: never)."""
    return (
        RollupMark.objects.filter(name="channel_hours")
        .values_list("refreshed_at", flat=True)
        .first()
    )
