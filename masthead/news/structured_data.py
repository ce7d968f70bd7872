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


def _authors(article, author_url: str | None) -> list[dict]:
    """The byline as a Person (with the author page's url when it is linked to one), else the
    desk or wire as an Organization."""
    if article.byline:
        person = {"@type": "Person", "name": article.author.name if author_url else article.byline}
        if author_url:
            person["url"] = author_url
        return [person]
    return [{"@type": "Organization", "name": article.credit_line or settings.MASTHEAD_SITE_NAME}]


def person(*, request: HttpRequest, author, image_url: str | None) -> dict:
    """ProfilePage JSON-LD for an author page, its main entity the Person."""
    data = {
        "@type": "Person",
        "name": author.name,
        "url": request.build_absolute_uri(author.url),
        "jobTitle": author.role,
        "description": author.bio,
        "image": image_url,
    }
    return {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "mainEntity": {key: value for key, value in data.items() if value},
    }


def news_article(
    *,
    request: HttpRequest,
    article,
    url: str,
    section: str,
    tags: list,
    image_url: str | None,
    author_url: str | None = None,
) -> dict:
    modified = article.last_published_at or article.published_at
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.dek,
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": modified.isoformat() if modified else None,
        "author": _authors(article, author_url),
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
