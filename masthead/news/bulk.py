"""Bulk creation of live articles: the page tree, tags and search index in a few statements.

`add_child` + publish costs a round trip per row and re-indexes one page at a time; here a batch
of articles is laid into the tree by computing materialized paths directly, inserted with two
multi-row INSERTs (wagtailcore_page, then the article table), tagged in bulk and indexed in bulk
(news/search_index.py: Wagtail's rows, without its whole-index title-norm rescan). The cost per
article stays flat as the corpus grows. Pages created this way have no revision
until an editor first saves them, exactly like pages imported with Wagtail's own tools.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils.text import slugify
from taggit.models import Tag
from wagtail.models import Locale, Page

from masthead.news.models import ArticlePage, ArticleTag, ChannelPage
from masthead.news.search_index import TitleNorms, search_index_add_bulk
from masthead.news.tree import STEPLEN


def _child_paths(channel: Page, count: int) -> list[str]:
    """Materialized paths for `count` new children after the channel's current last child."""
    channel.refresh_from_db(fields=["numchild"])
    last = channel.get_last_child() if channel.numchild else None
    start = ArticlePage._str2int(last.path[-STEPLEN:]) + 1 if last else 1
    depth = channel.depth + 1
    return [ArticlePage._get_path(channel.path, depth, start + offset) for offset in range(count)]


def _tags_by_name(names: Iterable[str]) -> dict[str, Tag]:
    """Existing tags for `names` (case-insensitively), creating the missing ones."""
    wanted = {name.strip()[:100]: None for name in names if name.strip()}
    found = {tag.name.lower(): tag for tag in Tag.objects.filter(name__in=list(wanted))}
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        used = set(
            Tag.objects.filter(slug__in=[slugify(n) for n in missing]).values_list(
                "slug", flat=True
            )
        )
        new = []
        for name in missing:
            slug = slugify(name)[:100] or "tag"
            while slug in used:
                slug = f"{slug[:90]}-{len(used)}"
            used.add(slug)
            new.append(Tag(name=name, slug=slug))
        Tag.objects.bulk_create(new)
        found.update({tag.name.lower(): tag for tag in Tag.objects.filter(name__in=missing)})
    return found


def article_bulk_create(
    *,
    channel: ChannelPage,
    articles: list[ArticlePage],
    tags: list[list[str]],
    index: bool = True,
    norms: TitleNorms | None = None,
) -> list[ArticlePage]:
    """Insert `articles` as live children of `channel`, with `tags[i]` on `articles[i]`.

    Each article needs title and published_at; path, slug, url_path and publication fields
    are filled in here. Pass the same `norms` to every call of one bulk run so that indexing
    never rescans the search index. Returns the articles with their primary keys.
    """
    if not articles:
        return []
    content_type = ContentType.objects.get_for_model(ArticlePage)
    locale_id = channel.locale_id or Locale.get_default().pk
    with transaction.atomic():
        paths = _child_paths(channel, len(articles))
        for article, path in zip(articles, paths, strict=True):
            suffix = path[-STEPLEN:].lower().lstrip("0") or "0"
            article.slug = f"{slugify(article.title)[:70].strip('-') or 'article'}-{suffix}"
            article.path = path
            article.depth = channel.depth + 1
            article.numchild = 0
            article.url_path = f"{channel.url_path}{article.slug}/"
            article.content_type = content_type
            article.locale_id = locale_id
            article.live = True
            article.has_unpublished_changes = False
            article.draft_title = article.title
            article.first_published_at = article.first_published_at or article.published_at
            article.last_published_at = article.last_published_at or article.published_at
        _insert_rows(articles)
        ChannelPage.objects.filter(pk=channel.pk).update(numchild=channel.numchild + len(articles))
        channel.numchild += len(articles)
        _tag_rows(articles, tags)
    if index:
        search_index_bulk_update(ids=[article.pk for article in articles], norms=norms)
    return articles


def _insert_rows(articles: list[ArticlePage]) -> None:
    page_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
    pages = [Page(**{f.attname: getattr(a, f.attname) for f in page_fields}) for a in articles]
    Page.objects.bulk_create(pages, batch_size=500)
    for article, page in zip(articles, pages, strict=True):
        article.page_ptr_id = article.pk = page.pk
        article._state.adding = False
    # Django refuses bulk_create on multi-table children; insert the child rows the way
    # Model.save_base(raw=True) does, a batch at a time.
    local_fields = ArticlePage._meta.local_concrete_fields
    batch = max(1, 900 // len(local_fields)) if connection.vendor == "sqlite" else 500
    for start in range(0, len(articles), batch):
        ArticlePage._base_manager._insert(
            articles[start : start + batch], fields=local_fields, raw=True
        )


def _tag_rows(articles: list[ArticlePage], tags: list[list[str]]) -> None:
    by_name = _tags_by_name(name for names in tags for name in names)
    rows = []
    for article, names in zip(articles, tags, strict=True):
        seen = set()
        for name in names:
            tag = by_name.get(name.strip()[:100].lower())
            if tag and tag.pk not in seen:
                seen.add(tag.pk)
                rows.append(ArticleTag(tag_id=tag.pk, content_object_id=article.pk))
    ArticleTag.objects.bulk_create(rows, batch_size=500)


def search_index_bulk_update(*, ids: list[int], norms: TitleNorms | None = None) -> None:
    """(Re)index the given articles in one pass, tags prefetched."""
    objects = list(ArticlePage.objects.filter(pk__in=ids).prefetch_related("tags"))
    search_index_add_bulk(model=ArticlePage, objects=objects, norms=norms or TitleNorms())
