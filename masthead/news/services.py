"""Writes of the news app that are not Wagtail page actions."""

from __future__ import annotations

from django.db.models import Q

from masthead.news.cache import article_key, keys_purge
from masthead.news.models import ArticlePage, Author
from masthead.news.selectors import author_for_byline


def _byline_mentions(name: str) -> Q:
    """Bylines that may name `name`: as the whole byline, after "By", or among several names."""
    return (
        Q(byline__iexact=name)
        | Q(byline__iexact=f"By {name}")
        | Q(byline__icontains=f"{name} and")
        | Q(byline__icontains=f"{name},")
        | Q(byline__icontains=f"and {name}")
        | Q(byline__icontains=f", {name}")
        | Q(byline__icontains=f"& {name}")
        | Q(byline__icontains=f"{name} &")
    )


def author_articles_match(*, author: Author) -> int:
    """Link the author to every article whose byline names them and that has no author yet.

    Returns how many articles were linked. The candidate bylines come from one indexed-free
    text filter; each is confirmed by the same parser that article saves use, so "Ann Lee"
    never claims "Joann Leeds".
    """
    candidates = (
        ArticlePage.objects.filter(author__isnull=True)
        .filter(_byline_mentions(author.name))
        .values_list("pk", "byline")
    )
    matched = [pk for pk, byline in candidates if author_for_byline(byline=byline) == author]
    for start in range(0, len(matched), 500):
        ArticlePage.objects.filter(pk__in=matched[start : start + 500]).update(author=author)
    # The byline turns into a link on the pages that show these articles, and nowhere else.
    keys_purge(article_key(pk) for pk in matched)
    return len(matched)


def authors_match_all() -> dict[str, int]:
    """Match every author's unlinked articles (after importing authors or articles in bulk)."""
    return {author.name: author_articles_match(author=author) for author in Author.objects.all()}
