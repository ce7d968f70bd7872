"""Reads for the analytics pages. Every one reads roll-ups or hourly rows through an index on
their time column (or the article), never raw events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from masthead.dashboard.models import (
    ChannelHour,
    IngestDay,
    SearchDay,
    SearchQueryDay,
    TopArticle,
    WidgetDay,
)
from masthead.dashboard.rollup import WINDOWS
from masthead.engagement.hourly_models import ArticleSourceHour, WidgetHour
from masthead.engagement.models import ArticleActivity
from masthead.engagement.ranking import hour_start
from masthead.ingest.models import Item, Source
from masthead.news.models import ArticlePage, ChannelPage, HomePage
from masthead.news.search_log import SearchQueryHour

BUCKETS = ("hour", "day")


@dataclass(frozen=True)
class Series:
    """A chart's data: bucket labels and one list of numbers per named line."""

    labels: list[str]
    lines: dict[str, list[int | float]]

    def rows(self) -> list[list]:
        return [
            [label, *(line[i] for line in self.lines.values())]
            for i, label in enumerate(self.labels)
        ]

    def as_chart(self) -> dict:
        return {"labels": self.labels, "lines": self.lines}


def window_start(window: str, *, now: datetime | None = None) -> datetime:
    """The first hour of a window ending with the current hour."""
    now = now or timezone.now()
    return hour_start(now) + timedelta(hours=1) - WINDOWS[window]


def _buckets(start: datetime, end: datetime, bucket: str) -> list[datetime | date]:
    if bucket == "day":
        first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    hours = int((end - start).total_seconds() // 3600) + 1
    return [start + timedelta(hours=i) for i in range(hours)]


def _label(moment: datetime | date, bucket: str) -> str:
    if bucket == "day":
        return moment.isoformat()
    assert isinstance(moment, datetime)  # hourly buckets are datetimes
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:00")


def _series(rows, start: datetime, end: datetime, bucket: str, names: list[str]) -> Series:
    """Sum (moment, values...) rows into buckets from start to end, zeros where nothing was."""
    slots = _buckets(start, end, bucket)
    index = {slot: i for i, slot in enumerate(slots)}
    lines: dict[str, list[int | float]] = {name: [0] * len(slots) for name in names}
    for moment, *values in rows:
        slot = timezone.localtime(moment).date() if bucket == "day" else moment
        if slot in index:
            for name, value in zip(names, values, strict=True):
                lines[name][index[slot]] += value or 0
    return Series([_label(s, bucket) for s in slots], lines)


def site_activity(*, window: str, bucket: str, channel_path: str | None = None) -> Series:
    """Views and reactions over a window, site-wide or for one top-level channel."""
    start = window_start(window)
    end = hour_start(timezone.now())
    rows = ChannelHour.objects.filter(hour__gte=start)
    if channel_path is not None:
        rows = rows.filter(channel_path=channel_path)
    grouped = rows.values("hour").annotate(v=Sum("view_count"), r=Sum("reaction_count"))
    return _series(
        [(g["hour"], g["v"], g["r"]) for g in grouped], start, end, bucket, ["views", "reactions"]
    )


@dataclass(frozen=True)
class ChannelRow:
    path: str
    title: str
    view_count: int
    reaction_count: int


def channels_compared(*, window: str) -> list[ChannelRow]:
    """Each top-level channel's views and reactions in a window, most read first."""
    titles = dict(ChannelPage.objects.filter(depth=3).values_list("path", "title"))
    titles[""] = "(outside any channel)"
    rows = (
        ChannelHour.objects.filter(hour__gte=window_start(window))
        .values("channel_path")
        .annotate(v=Sum("view_count"), r=Sum("reaction_count"))
    )
    out = [
        ChannelRow(r["channel_path"], titles.get(r["channel_path"], "?"), r["v"], r["r"])
        for r in rows
    ]
    return sorted(out, key=lambda c: (-c.view_count, c.title))


@dataclass(frozen=True)
class TopRow:
    rank: int
    article: ArticlePage
    view_count: int
    reaction_count: int
    previous_view_count: int

    @property
    def trend(self) -> float | None:
        """Change against the window before, as a fraction (None: nothing to compare with)."""
        if not self.previous_view_count:
            return None
        return self.view_count / self.previous_view_count - 1


def top_articles(*, window: str, scope_path: str = "") -> list[TopRow]:
    """The most-read list of a window, site-wide (scope '') or of a top-level channel."""
    if not scope_path:
        scope_path = HomePage.objects.values_list("path", flat=True).first() or ""
    rows = (
        TopArticle.objects.filter(window=window, scope_path=scope_path)
        .select_related("article")
        .only(
            "rank",
            "view_count",
            "reaction_count",
            "previous_view_count",
            "article__title",
            "article__url_path",
            "article__path",
            "article__depth",
            "article__published_at",
        )
        .order_by("rank")
    )
    return [
        TopRow(r.rank, r.article, r.view_count, r.reaction_count, r.previous_view_count)
        for r in rows
    ]


def article_activity(*, article: ArticlePage, bucket: str | None = None) -> Series:
    """An article's views and reactions from its publication to now (hours for its first
    week, days after)."""
    now = timezone.now()
    start = hour_start(article.published_at or article.first_published_at or now)
    start = max(start, now - timedelta(days=400))
    bucket = bucket or ("hour" if now - start <= timedelta(days=7) else "day")
    rows = ArticleActivity.objects.filter(article_id=article.pk, hour__gte=start).values_list(
        "hour", "view_count", "reaction_count"
    )
    return _series(list(rows), start, hour_start(now), bucket, ["views", "reactions"])


SOURCE_LABELS = {
    "related": "Related",
    "like": "Like (readers also read)",
    "recommendation": "Recommendation",
    "ranking": "Ranking",
    "story": "Story (more coverage)",
    "tags": "Tags on an article",
    "home": "Home page",
    "channel": "Channel page",
    "tag": "Tag page",
    "search": "Search",
    "article": "Another article's body",
    "external": "Outside the site",
    "direct": "Direct (no referrer)",
}


def article_sources(*, article_id: int) -> list[tuple[str, str, int]]:
    """(source, label, views) of an article's counted views, most first."""
    rows = (
        ArticleSourceHour.objects.filter(article_id=article_id)
        .values("source")
        .annotate(v=Sum("view_count"))
    )
    out = [(r["source"], SOURCE_LABELS.get(r["source"], r["source"]), r["v"]) for r in rows]
    return sorted(out, key=lambda s: (-s[2], s[0]))


@dataclass(frozen=True)
class WidgetRow:
    widget: str
    impression_count: int
    click_count: int

    @property
    def ctr(self) -> float:
        return self.click_count / self.impression_count if self.impression_count else 0.0


def is_hourly(window: str) -> bool:
    """Windows up to a day read the hourly rows; longer ones the daily roll-ups."""
    return WINDOWS[window] <= timedelta(days=1)


def window_first_day(window: str) -> date:
    return timezone.localdate() - timedelta(days=WINDOWS[window].days - 1)


def _widget_rows(window: str):
    if is_hourly(window):
        return WidgetHour.objects.filter(hour__gte=window_start(window))
    return WidgetDay.objects.filter(day__gte=window_first_day(window))


def widget_totals(*, window: str) -> list[WidgetRow]:
    """Impressions, clicks and click-through per widget in a window."""
    rows = (
        _widget_rows(window)
        .values("widget")
        .annotate(i=Sum("impression_count"), c=Sum("click_count"))
    )
    out = [WidgetRow(r["widget"], r["i"], r["c"]) for r in rows]
    return sorted(out, key=lambda w: (-w.impression_count, w.widget))


def widget_positions(*, window: str) -> dict[str, list[tuple[int, int, int, float]]]:
    """Per widget: (position, impressions, clicks, click-through) rows, first position first."""
    rows = (
        _widget_rows(window)
        .values("widget", "position")
        .annotate(i=Sum("impression_count"), c=Sum("click_count"))
        .order_by("widget", "position")
    )
    out: dict[str, list] = defaultdict(list)
    for r in rows:
        out[r["widget"]].append((r["position"], r["i"], r["c"], r["c"] / r["i"] if r["i"] else 0.0))
    return dict(out)


def _day_series(rows, window: str, names: list[str]) -> Series:
    first = window_first_day(window)
    slots = [first + timedelta(days=i) for i in range(WINDOWS[window].days)]
    index = {d: i for i, d in enumerate(slots)}
    lines: dict[str, list[int | float]] = {name: [0] * len(slots) for name in names}
    for day, *values in rows:
        if day in index:
            for name, value in zip(names, values, strict=True):
                lines[name][index[day]] += value or 0
    return Series([d.isoformat() for d in slots], lines)


def widget_ctr_series(*, window: str, bucket: str) -> Series:
    """Click-through (%) of each widget over a window: by hour over a day, by day beyond."""
    if is_hourly(window):
        start, end = window_start(window), hour_start(timezone.now())
        rows = list(
            WidgetHour.objects.filter(hour__gte=start)
            .values_list("hour", "widget")
            .annotate(i=Sum("impression_count"), c=Sum("click_count"))
        )
        widgets = sorted({r[1] for r in rows})

        def series(k: int) -> Series:
            return _series(
                [(r[0], *[r[k] if w == r[1] else 0 for w in widgets]) for r in rows],
                start,
                end,
                "hour",
                widgets,
            )
    else:
        rows = list(
            WidgetDay.objects.filter(day__gte=window_first_day(window))
            .values_list("day", "widget")
            .annotate(i=Sum("impression_count"), c=Sum("click_count"))
        )
        widgets = sorted({r[1] for r in rows})

        def series(k: int) -> Series:
            return _day_series(
                [(r[0], *[r[k] if w == r[1] else 0 for w in widgets]) for r in rows],
                window,
                widgets,
            )

    impressions, clicks = series(2), series(3)
    lines = {
        w: [
            round(100 * c / i, 2) if i else 0
            for i, c in zip(impressions.lines[w], clicks.lines[w], strict=True)
        ]
        for w in widgets
    }
    return Series(impressions.labels, lines)


def search_queries(
    *, window: str, zero_results: bool = False, limit: int = 50
) -> list[tuple[str, int, int]]:
    """(query, searches, searches with no result), most asked first; only queries that found
    nothing at least once when `zero_results`. Beyond a day, from each day's top queries."""
    found: QuerySet[Any, Any]
    if is_hourly(window):
        found = SearchQueryHour.objects.filter(hour__gte=window_start(window))
    else:
        found = SearchQueryDay.objects.filter(day__gte=window_first_day(window))
    rows: QuerySet[Any, Any] = found.values("query").annotate(
        n=Sum("search_count"), z=Sum("zero_result_count")
    )
    if zero_results:
        rows = rows.filter(z__gt=0).order_by("-z", "query")
    else:
        rows = rows.order_by("-n", "query")
    return [(r["query"], r["n"], r["z"]) for r in rows[:limit]]


def search_series(*, window: str, bucket: str) -> Series:
    """Searches and searches with no result: by hour over a day, by day beyond."""
    names = ["searches", "no result"]
    if not is_hourly(window):
        rows = SearchDay.objects.filter(day__gte=window_first_day(window)).values_list(
            "day", "search_count", "zero_result_count"
        )
        return _day_series(list(rows), window, names)
    start, end = window_start(window), hour_start(timezone.now())
    hours = (
        SearchQueryHour.objects.filter(hour__gte=start)
        .values("hour")
        .annotate(n=Sum("search_count"), z=Sum("zero_result_count"))
    )
    return _series([(r["hour"], r["n"], r["z"]) for r in hours], start, end, "hour", names)


INGEST_OUTCOMES = {
    "new": [Item.NEW],
    "duplicate": [Item.DUPLICATE, Item.NEAR_DUPLICATE],
    "held": [Item.HELD, Item.REJECTED],
}


def ingest_series(*, days: int, source_id: int | None = None) -> Series:
    """Items per day by outcome (new / duplicate / held), for every source or one."""
    first = timezone.localdate() - timedelta(days=days - 1)
    rows = IngestDay.objects.filter(day__gte=first)
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    slots = [first + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(slots)}
    lines: dict[str, list[int | float]] = {name: [0] * days for name in INGEST_OUTCOMES}
    outcome_of = {s: name for name, statuses in INGEST_OUTCOMES.items() for s in statuses}
    for day, status, n in rows.values_list("day", "status").annotate(n=Sum("item_count")):
        if day in index and status in outcome_of:
            lines[outcome_of[status]][index[day]] += n
    return Series([d.isoformat() for d in slots], lines)


def ingest_sources(*, days: int) -> list[tuple[Source, dict[str, int]]]:
    """Each source with its items per outcome over the last `days`."""
    first = timezone.localdate() - timedelta(days=days - 1)
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(INGEST_OUTCOMES, 0))
    outcome_of = {s: name for name, statuses in INGEST_OUTCOMES.items() for s in statuses}
    rows = (
        IngestDay.objects.filter(day__gte=first)
        .values_list("source_id", "status")
        .annotate(n=Sum("item_count"))
    )
    for source_id, status, n in rows:
        if status in outcome_of:
            totals[source_id][outcome_of[status]] += n
    sources = Source.objects.order_by("name")
    return [(s, totals[s.pk]) for s in sources]


def held_reasons(*, days: int, source_id: int | None = None) -> list[tuple[str, str, int]]:
    """(source, reason, items) of held items over the last `days`, most first."""
    first = timezone.localdate() - timedelta(days=days - 1)
    rows = IngestDay.objects.filter(day__gte=first, status__in=INGEST_OUTCOMES["held"])
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    grouped = (
        rows.values("source__name", "reason").annotate(n=Sum("item_count")).order_by("-n", "reason")
    )
    return [(r["source__name"], r["reason"] or "(no reason given)", r["n"]) for r in grouped]
