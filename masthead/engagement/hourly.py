"""Recording what article pages showed and where their readers came from, per hour.

A page sends one beacon when it has been viewed (which widgets it showed, how many items each,
and where the reader came from) and one per click on a widget item (its position). Both are
counted at most once per reader and article (and target) per MASTHEAD_VIEW_DEDUP_SECONDS, as
views are, so a reload storm cannot inflate impressions or click-through.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from masthead.engagement import budgets
from masthead.engagement.clients import Client
from masthead.engagement.counters import increments_upsert, seen_key
from masthead.engagement.hourly_models import ArticleSourceHour, WidgetHour
from masthead.engagement.ranking import hour_start
from masthead.engagement.readers import Reader
from masthead.engagement.services import WIDGETS, UnknownArticle
from masthead.news.models import ArticlePage

# Places inside the site a reader can come from, besides the widgets of an article page.
LISTINGS = ("home", "channel", "tag", "search", "article")
SOURCES = (*WIDGETS, *LISTINGS, "external", "direct")
MAX_POSITION = 20  # items further down a list are counted at this position


class UnknownPlace(ValueError):
    """A widget or source name the site does not have."""


def widget_hours_add(*, rows: dict[tuple[datetime, str, int], tuple[int, int]]) -> None:
    """Add (impressions, clicks) keyed by (hour, widget, position)."""
    increments_upsert(
        WidgetHour._meta.db_table,
        ["hour", "widget", "position"],
        rows,
        ["impression_count", "click_count"],
    )


def source_hours_add(*, rows: dict[tuple[int, datetime, str], int]) -> None:
    """Add views keyed by (article id, hour, source)."""
    increments_upsert(
        ArticleSourceHour._meta.db_table,
        ["article_id", "hour", "source"],
        {key: (n,) for key, n in rows.items()},
        ["view_count"],
    )


def _first_time(*parts: object) -> bool:
    return cache.add(f"hourly:{seen_key(*parts)}", 1, timeout=settings.MASTHEAD_VIEW_DEDUP_SECONDS)


def _require_live(*article_ids: int) -> None:
    found = ArticlePage.objects.live().filter(pk__in=article_ids).count()
    if found != len(set(article_ids)):
        raise UnknownArticle(article_ids)


def page_shown_record(
    *,
    reader_id: str,
    article_id: int,
    source: str,
    shown: dict[str, int],
    at: datetime | None = None,
) -> bool:
    """Count where a page view came from and one impression per item each widget showed;
    False when this reader's view of the article was already counted in the window."""
    if source not in SOURCES or any(widget not in WIDGETS for widget in shown):
        raise UnknownPlace(source)
    _require_live(article_id)
    if not _first_time("shown", reader_id, article_id):
        return False
    hour = hour_start(at or timezone.now())
    source_hours_add(rows={(article_id, hour, source): 1})
    impressions = {
        (hour, widget, position): (1, 0)
        for widget, count in shown.items()
        for position in range(1, min(max(count, 0), MAX_POSITION) + 1)
    }
    widget_hours_add(rows=impressions)
    return True


def page_shown_submit(
    *, reader: Reader, client: Client, article_id: int, source: str, shown: dict[str, int]
) -> bool:
    """Count a page-shown beacon as views are counted: an established reader once per article
    per window by its id; anyone else within the anonymous budget of its network and user
    agent, de-duplicated by them (so dropping cookies or rotating addresses buys nothing)."""
    if not reader.is_new:
        return page_shown_record(
            reader_id=reader.id, article_id=article_id, source=source, shown=shown
        )
    _require_live(article_id)  # an unknown article is a 404 whatever the budget says
    if not budgets.anonymous_shown_allowed(client):
        return False
    return page_shown_record(
        reader_id=budgets.anonymous_reader_id(client),
        article_id=article_id,
        source=source,
        shown=shown,
    )


def widget_click_submit(
    *, reader: Reader, widget: str, position: int, article_id: int, target_id: int
) -> bool:
    """Count a widget click from an established reader (as `POST /events` does); a click from
    a request without an earlier-issued id is answered but not counted."""
    if reader.is_new:
        return False
    return widget_click_record(
        reader_id=reader.id,
        widget=widget,
        position=position,
        article_id=article_id,
        target_id=target_id,
    )


def widget_click_record(
    *,
    reader_id: str,
    widget: str,
    position: int,
    article_id: int,
    target_id: int,
    at: datetime | None = None,
) -> bool:
    """Count a click on the item at `position` (1 = first) of a widget; once per reader, widget,
    article and target in the window."""
    if widget not in WIDGETS:
        raise UnknownPlace(widget)
    _require_live(article_id, target_id)
    if not _first_time("click", reader_id, widget, article_id, target_id):
        return False
    hour = hour_start(at or timezone.now())
    widget_hours_add(rows={(hour, widget, min(max(position, 1), MAX_POSITION)): (0, 1)})
    return True
