"""Pagination that answers a bad page number with a message instead of an error."""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpRequest

# Deep pages cost an OFFSET scan; nobody reads page 500 of a channel, crawlers use sitemaps.
MAX_PAGES = 500


def paginate(request: HttpRequest, items, per_page: int) -> tuple[Page, str]:
    """Return the requested page of `items`, or the nearest valid one and a message."""
    paginator = Paginator(items, per_page)
    raw = request.GET.get("page", "1")[:12]
    try:
        number = int(raw)
        if number > MAX_PAGES:
            raise EmptyPage
        return paginator.page(number), ""
    except (ValueError, PageNotAnInteger):
        return paginator.page(1), "That page number is not valid; showing the first page."
    except EmptyPage:
        last = min(paginator.num_pages, MAX_PAGES)
        return paginator.page(last), "There is no such page; showing the last one."
