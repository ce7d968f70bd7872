"""Reads of ingestion's records for pages and the admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from masthead.ingest.models import Item

OTHER_SOURCES_SIZE = 10
OTHER_SOURCES_CACHE_SECONDS = 120


@dataclass(frozen=True)
class OtherSource:
    name: str
    url: str
    title: str


def item_list_other_sources(*, article_id: int) -> list[OtherSource]:
    """Other outlets' copies of an article's story that ingestion recorded as near-duplicates
    instead of publishing them ("Also reported by"); cached briefly, as the story lists are."""
    key = f"ingest:other-sources:{article_id}"
    found: list[OtherSource] | None = cache.get(key)
    if found is None:
        found, seen = [], set()
        for credit, name, url, title in (
            Item.objects.filter(article_id=article_id, status=Item.NEAR_DUPLICATE)
            .exclude(url="")
            .values_list("source__credit", "source__name", "url", "title")[:OTHER_SOURCES_SIZE]
        ):
            if url not in seen:
                seen.add(url)
                found.append(OtherSource(credit or name, url, title))
        cache.set(key, found, timeout=OTHER_SOURCES_CACHE_SECONDS)
    return found
