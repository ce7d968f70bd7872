"""schema.org JSON-LD for articles and breadcrumbs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def breadcrumb_list(*, request: HttpRequest, trail: list) -> dict:
    """BreadcrumbList for the pages in `trail` (home first; the current page last)."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": page.title,
                "item": request.build_absolute_uri(page.get_url(request)),
            }
            for position, page in enumerate(trail, start=1)
        ],
    }


def news_article(
    *, request: HttpRequest, article, url: str, section: str, tags: list, image_url: str | None
) -> dict:
    author = article.byline or article.credit_line or settings.MASTHEAD_SITE_NAME
    modified = article.last_published_at or article.published_at
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.dek,
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": modified.isoformat() if modified else None,
        "author": [{"@type": "Person" if article.byline else "Organization", "name": author}],
        "publisher": {"@type": "Organization", "name": settings.MASTHEAD_SITE_NAME},
        "mainEntityOfPage": url,
        "articleSection": section,
        "keywords": [tag.name for tag in tags],
    }
    if image_url:
        data["image"] = [image_url]
    if article.is_canonical_at_source and article.source_url:
        data["isBasedOn"] = article.source_url
    return {key: value for key, value in data.items() if value not in (None, "", [])}
