"""Pagination that answers a bad page number with a message instead of an error.

Listings (channels, tags) page with newer/older links and never count their rows: a COUNT over
a big channel costs more than rendering the page. Search results, where the total is part of
the answer, use Django's Paginator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.core.paginator import Page as CountedPage
from django.db.models import QuerySet
from django.http import HttpRequest

# Deep pages cost an OFFSET scan; nobody reads page 500 of a channel, crawlers use sitemaps.
MAX_PAGES = 500
BAD_NUMBER = "That page number is not valid; showing the first page."
NO_SUCH_PAGE = "There is no such page; showing the last one."


@dataclass
class ListingPage:
    """One page of a listing, knowing only whether there are newer and older pages."""

    object_list: list
    number: int
    more: bool

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.more and self.number < MAX_PAGES

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def _page_number(request: HttpRequest) -> int | None:
    try:
        number = int(request.GET.get("page", "1")[:12])
    except ValueError:
        return None
    return number if number >= 1 else None


def paginate(
    request: HttpRequest, items: Sequence[Any] | QuerySet[Any], per_page: int
) -> tuple[ListingPage, str]:
    """The requested page of `items`, or the first page and a message."""
    number = _page_number(request)
    if number is None:
        number, message = 1, BAD_NUMBER
    elif number > MAX_PAGES:
        number, message = MAX_PAGES, NO_SUCH_PAGE
    else:
        message = ""
    start = (number - 1) * per_page
    rows = list(items[start : start + per_page + 1])
    if not rows and number > 1:
        rows, number, message = (
            list(items[: per_page + 1]),
            1,
            "There is no such page; showing the first one.",
        )
    return ListingPage(rows[:per_page], number, len(rows) > per_page), message


def paginate_counted(request: HttpRequest, items, per_page: int) -> tuple[CountedPage, str]:
    """Like `paginate`, with the total count (for search results)."""
    paginator = Paginator(items, per_page)
    number = _page_number(request)
    if number is None:
        return paginator.page(1), BAD_NUMBER
    try:
        return paginator.page(min(number, MAX_PAGES)), ""
    except EmptyPage:
        return paginator.page(min(paginator.num_pages, MAX_PAGES)), NO_SUCH_PAGE
