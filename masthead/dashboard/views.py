"""The analytics pages in the Wagtail admin: parse the choices, call selectors, render (or CSV)."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from masthead.dashboard import selectors
from masthead.dashboard.rollup import WINDOWS, rollup_refreshed_at
from masthead.discovery import interface as discovery
from masthead.news.models import ArticlePage, ChannelPage

PERMISSION = "dashboard.view_analytics"
INGEST_DAYS = {"7d": 7, "30d": 30}


def _choice(request: HttpRequest, name: str, options, default: str) -> str:
    value = request.GET.get(name, default)
    return value if value in options else default


def _window_bucket(request: HttpRequest) -> tuple[str, str]:
    window = _choice(request, "window", WINDOWS, "7d")
    bucket = _choice(request, "bucket", selectors.BUCKETS, "hour" if window == "24h" else "day")
    return window, bucket


def _csv(name: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    defaults = {
        "windows": list(WINDOWS),
        "buckets": selectors.BUCKETS,
        "refreshed_at": rollup_refreshed_at(),
    }
    return TemplateResponse(request, template, defaults | context)


def overview(request: HttpRequest) -> HttpResponse:
    window, bucket = _window_bucket(request)
    channels = list(
        ChannelPage.objects.filter(depth=3).order_by("title").values_list("path", "title")
    )
    scope = _choice(request, "channel", dict(channels), "")
    activity = selectors.site_activity(window=window, bucket=bucket, channel_path=scope or None)
    top = selectors.top_articles(window=window, scope_path=scope)
    compared = selectors.channels_compared(window=window)
    table = request.GET.get("csv")
    if table == "activity":
        return _csv(f"activity-{window}", ["time", "views", "reactions"], activity.rows())
    if table == "top":
        return _csv(
            f"top-{window}",
            ["rank", "article id", "title", "views", "reactions", "views in the window before"],
            [
                [
                    t.rank,
                    t.article.pk,
                    t.article.title,
                    t.view_count,
                    t.reaction_count,
                    t.previous_view_count,
                ]
                for t in top
            ],
        )
    if table == "channels":
        return _csv(
            f"channels-{window}",
            ["channel", "views", "reactions"],
            [[c.title, c.view_count, c.reaction_count] for c in compared],
        )
    return _render(
        request,
        "dashboard/overview.html",
        {
            "title": "Analytics",
            "section": "overview",
            "window": window,
            "bucket": bucket,
            "channels": channels,
            "scope": scope,
            "activity": activity,
            "top": top,
            "compared": compared,
            "compared_chart": {
                "labels": [c.title for c in compared],
                "lines": {
                    "views": [c.view_count for c in compared],
                    "reactions": [c.reaction_count for c in compared],
                },
            },
        },
    )


def article(request: HttpRequest, article_id: int) -> HttpResponse:
    page = get_object_or_404(ArticlePage, pk=article_id)
    activity = selectors.article_activity(article=page)
    sources = selectors.article_sources(article_id=page.pk)
    table = request.GET.get("csv")
    if table == "activity":
        return _csv(f"article-{page.pk}-activity", ["time", "views", "reactions"], activity.rows())
    if table == "sources":
        return _csv(
            f"article-{page.pk}-sources",
            ["came from", "views"],
            [[label, n] for _, label, n in sources],
        )
    lists = discovery.article_lists(page) if page.live else None
    return _render(
        request,
        "dashboard/article.html",
        {
            "title": "Article analytics",
            "subtitle": page.title,
            "page": page,
            "activity": activity,
            "sources": sources,
            "sources_chart": {
                "labels": [label for _, label, _ in sources],
                "lines": {"views": [n for *_, n in sources]},
            },
            "views_total": sum(activity.lines["views"]),
            "reactions_total": sum(activity.lines["reactions"]),
            "lists": lists,
        },
    )


def widgets(request: HttpRequest) -> HttpResponse:
    window, _ = _window_bucket(request)
    bucket = "hour" if selectors.is_hourly(window) else "day"
    totals = selectors.widget_totals(window=window)
    positions = selectors.widget_positions(window=window)
    table = request.GET.get("csv")
    if table == "widgets":
        return _csv(
            f"widgets-{window}",
            ["widget", "impressions", "clicks", "click-through"],
            [[w.widget, w.impression_count, w.click_count, f"{w.ctr:.4f}"] for w in totals],
        )
    if table == "positions":
        return _csv(
            f"widget-positions-{window}",
            ["widget", "position", "impressions", "clicks", "click-through"],
            [[w, *row[:3], f"{row[3]:.4f}"] for w, rows in positions.items() for row in rows],
        )
    ctr = selectors.widget_ctr_series(window=window, bucket=bucket)
    return _render(
        request,
        "dashboard/widgets.html",
        {
            "title": "Widget performance",
            "section": "widgets",
            "buckets": (),  # by hour over a day, by day beyond
            "window": window,
            "bucket": bucket,
            "totals": totals,
            "positions": positions,
            "ctr": ctr,
            "totals_chart": {
                "labels": [w.widget for w in totals],
                "lines": {"click-through %": [round(100 * w.ctr, 2) for w in totals]},
            },
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    window, _ = _window_bucket(request)
    bucket = "hour" if selectors.is_hourly(window) else "day"
    top = selectors.search_queries(window=window)
    zero = selectors.search_queries(window=window, zero_results=True)
    table = request.GET.get("csv")
    if table in ("top", "zero"):
        rows = top if table == "top" else zero
        return _csv(
            f"search-{table}-{window}", ["query", "searches", "searches with no result"], rows
        )
    return _render(
        request,
        "dashboard/search.html",
        {
            "title": "Search",
            "section": "search",
            "buckets": (),
            "window": window,
            "bucket": bucket,
            "top": top,
            "zero": zero,
            "series": selectors.search_series(window=window, bucket=bucket),
        },
    )


def ingestion(request: HttpRequest) -> HttpResponse:
    window = _choice(request, "window", INGEST_DAYS, "30d")
    days = INGEST_DAYS[window]
    raw_source = request.GET.get("source", "")
    source_id = int(raw_source) if raw_source.isdigit() and len(raw_source) < 10 else None
    series = selectors.ingest_series(days=days, source_id=source_id)
    reasons = selectors.held_reasons(days=days, source_id=source_id)
    sources = selectors.ingest_sources(days=days)
    table = request.GET.get("csv")
    if table == "days":
        return _csv(f"ingestion-{window}", ["day", *series.lines], series.rows())
    if table == "held":
        return _csv(f"held-{window}", ["source", "reason", "items"], reasons)
    return TemplateResponse(
        request,
        "dashboard/ingestion.html",
        {
            "title": "Ingestion",
            "section": "ingestion",
            "window": window,
            "windows": list(INGEST_DAYS),
            "series": series,
            "reasons": reasons,
            "sources": sources,
            "source_id": source_id,
            "refreshed_at": rollup_refreshed_at(),
        },
    )
