"""Bulk creation of articles: the page tree, tags, revisions and search index in a few statements.

`add_child` + publish costs a round trip per row and re-indexes one page at a time; here a batch
of articles is laid into the tree by computing materialized paths directly, inserted with two
multi-row INSERTs (wagtailcore_page, then the article table; on PostgreSQL two COPYs with ids
taken from the sequence, which spare building and quoting the statements), tagged in bulk and
indexed in bulk
from the objects just built (news/search_index.py: Wagtail's rows, without its whole-index
title-norm rescan). The cost per article stays flat as the corpus grows. Generated pages have
no revision until an editor first saves them, like pages imported with Wagtail's own tools;
ingested ones (`with_history`) get what `save_revision().publish()` writes, in bulk too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from itertools import count
from operator import attrgetter
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import (
    NOT_PROVIDED,
    BooleanField,
    CharField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.models import get_all_child_relations
from taggit.models import Tag
from wagtail.fields import StreamField
from wagtail.models import Locale, Page, PageLogEntry, Revision
from wagtail.rich_text import get_text_for_indexing
from wagtail.signals import page_published

from masthead.news import selectors
from masthead.news.invalidation import publishes_batched
from masthead.news.models import ArticlePage, ArticleTag, Author, ChannelPage
from masthead.news.search_index import TitleNorms, search_index_add_bulk
from masthead.news.tree import STEPLEN

M = TypeVar("M", bound=Model)

# Rounds of creating missing tags while other writers create some of the same at once.
TAG_ATTEMPTS = 5


def article_body_raw(blocks: list[tuple[str, Any]]) -> tuple[list[dict], str]:
    """An article body of (block type, value) pairs as StreamField's stored form, and its search
    text (`ArticlePage.body_text`), both without building block objects. Paragraph values
    are rich text HTML; the other values are what the block stores (a struct block's dict).
    Assign the stored form to `body` and the text to `__dict__["body_text"]`."""
    stream = ArticlePage._meta.get_field("body").stream_block
    raw, texts = [], []
    for (kind, value), block_id in zip(blocks, uuid4_strings(len(blocks)), strict=True):
        raw.append({"type": kind, "value": value, "id": block_id})
        if kind == "paragraph":
            plain = value.startswith("<p>") and value.endswith("</p>") and value.count("<") == 2
            texts.append(
                value[3:-4].strip() if plain and "&" not in value else get_text_for_indexing(value)
            )
        else:
            texts.extend(stream.child_blocks[kind].get_searchable_content(value))
    return raw, " ".join(texts)


# Byte tables that set a UUID's version (the high half of its seventh byte) and variant (the
# two high bits of its ninth), for `bytes.translate`.
_VERSION_4 = bytes(byte & 0x0F | 0x40 for byte in range(256))
_RFC_4122 = bytes(byte & 0x3F | 0x80 for byte in range(256))


def uuid4_strings(count: int) -> list[str]:
    """`count` random (version 4) UUIDs in the form `str(uuid.uuid4())` gives, from one read of
    the system's random source. `uuid4()` reads it once per id and builds a `UUID` object
    (integer arithmetic on 128 bits) only to be turned into a string: 4.5–5.3 µs of CPU an id
    against about 1 here, for the eight or so block ids of every article."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_RFC_4122)
    hexed = raw.hex()
    return [
        f"{hexed[i : i + 8]}-{hexed[i + 8 : i + 12]}-{hexed[i + 12 : i + 16]}-"
        f"{hexed[i + 16 : i + 20]}-{hexed[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def instance_unsaved(model: type[M], /, **values: Any) -> M:
    """`model(**values)`, unsaved, built from a copy of the model's default values instead of
    by the constructor, which sets every field one at a time and runs each model's own
    `__init__` (about 0.1 ms for an `ArticlePage`, a tenth of the cost of creating one in bulk).
    A field whose default is computed (`translation_key`) or mutable (`body`) gets its own.
    Only for models without `pre_init` / `post_init` receivers, which this would skip."""
    blank, fresh = _defaults(model)
    obj = model.__new__(model)
    obj.__dict__.update(blank)
    obj._state = ModelState()
    for field in fresh:
        if field.attname not in values and field.name not in values:
            setattr(obj, field.attname, field.get_default())
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


@cache
def _defaults(model: type[Model]) -> tuple[dict[str, Any], list[Field]]:
    """What the constructor gives every new instance of `model` (shared values only: no
    mutable one), and the fields whose default each instance needs afresh."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        raise ValueError(f"{model.__name__} has constructor signal receivers")
    built = model()
    blank, fresh = {}, []
    for field in model._meta.concrete_fields:
        value = built.__dict__[field.attname]
        if (
            callable(field.default)
            and field.default is not NOT_PROVIDED
            or not isinstance(value, _SHARED)
        ):
            fresh.append(field)
        else:
            blank[field.attname] = value
    return blank, fresh


# Values an instance can share with every other (immutable).
_SHARED = (type(None), str, int, float, bool)


def _child_paths(channel: Page, count: int) -> list[str]:
    """Materialized paths for `count` new children after the channel's current last child.
    Locks the channel's row until the transaction ends, so that two writers take turns."""
    channel.numchild = (
        Page.objects.select_for_update().values_list("numchild", flat=True).get(pk=channel.pk)
    )
    last = channel.get_last_child() if channel.numchild else None
    start = ArticlePage._str2int(last.path[-STEPLEN:]) + 1 if last else 1
    depth = channel.depth + 1
    return [ArticlePage._get_path(channel.path, depth, start + offset) for offset in range(count)]


def _tags_by_name(names: Iterable[str]) -> dict[str, Tag]:
    """Existing tags for `names` (case-insensitively), creating the missing ones. Another
    writer may create the same tag, or take the same slug, at the same moment: the clashing
    row is skipped, and the tag read back or tried again with another slug."""
    wanted = sorted({name.strip()[:100] for name in names if name.strip()})
    found = {tag.name.lower(): tag for tag in Tag.objects.filter(name__in=wanted)}
    for _ in range(TAG_ATTEMPTS):
        missing = [name for name in wanted if name.lower() not in found]
        if not missing:
            return found
        slugs = _slugs_free(missing)
        # In slug order: a tag row takes two unique entries (name and slug), and two writers
        # inserting in name order could each wait on a slug the other holds (a deadlock).
        new = [
            Tag(name=name, slug=slugs[name])
            for name in sorted(missing, key=lambda name: slugs[name])
        ]
        Tag.objects.bulk_create(new, ignore_conflicts=True)
        found.update({tag.name.lower(): tag for tag in Tag.objects.filter(name__in=missing)})
    raise RuntimeError(f"tags not created after {TAG_ATTEMPTS} attempts: {missing}")


def _slugs_free(names: list[str]) -> dict[str, str]:
    """A slug for each name that no tag had when read and no other name here takes: the
    name's own, or with the first free numbered suffix."""
    base = {name: slugify(name)[:100] or "tag" for name in names}
    slugs = dict(base)
    for suffix in count(1):
        taken = set(Tag.objects.filter(slug__in=set(slugs.values())).values_list("slug", flat=True))
        clashing, claimed = [], set()
        for name in names:
            if slugs[name] in taken or slugs[name] in claimed:
                clashing.append(name)
            claimed.add(slugs[name])
        if not clashing:
            return slugs
        for name in clashing:
            slugs[name] = f"{base[name][:90]}-{suffix}"
    raise AssertionError("unreachable")


def article_bulk_create(
    *,
    channel: ChannelPage,
    articles: list[ArticlePage],
    tags: list[list[str]],
    index: bool = True,
    norms: TitleNorms | None = None,
    with_history: bool = False,
) -> list[ArticlePage]:
    """Insert `articles` as children of `channel`, with `tags[i]` on `articles[i]`
    (`articles_bulk_create` with one channel for all)."""
    return articles_bulk_create(
        channels=[channel] * len(articles),
        articles=articles,
        tags=tags,
        index=index,
        norms=norms,
        with_history=with_history,
    )


def articles_bulk_create(
    *,
    channels: list[ChannelPage],
    articles: list[ArticlePage],
    tags: list[list[str]],
    index: bool = True,
    norms: TitleNorms | None = None,
    with_history: bool = False,
) -> list[ArticlePage]:
    """Insert `articles[i]` as a child of `channels[i]`, with `tags[i]` on it: each table's rows
    for every channel in one statement.

    Each article needs a title; a live one (`live` is True unless set False, which makes a
    draft) gets published_at now when it has none. Path, slug, url_path and publication fields
    are filled in here. Pass the same `norms` to every call of one bulk run so that indexing
    never rescans the search index. `with_history` also writes what Wagtail's
    `save_revision().publish()` writes — a revision, the edit and publish log entries — and
    sends `page_published` for each live article. Returns the articles with their primary keys.
    """
    if not articles:
        return []
    now = timezone.now()
    # Before the batch's transaction, so that a tag another writer creates at the same moment
    # is waited for only while one INSERT runs, never while a whole batch is written.
    by_name = _tags_by_name(name for names in tags for name in names)
    with transaction.atomic():
        _children_place(channels, articles, now)
        _authors_match(articles)
        _insert_rows(articles)
        tag_rows = _tag_rows(articles, tags, by_name)
        if with_history:
            revisions = _history_write(articles, tag_rows, now)
    if index:
        _index_built(articles, tag_rows, norms or TitleNorms())
    if with_history:
        with publishes_batched():  # the listing facts of all of them at once
            for article, revision in zip(articles, revisions, strict=True):
                if article.live:
                    page_published.send(sender=ArticlePage, instance=article, revision=revision)
    return articles


def _children_place(
    channels: list[ChannelPage], articles: list[ArticlePage], now: datetime
) -> None:
    """Place each article after its channel's last child, the channels locked in the order
    of their ids (two writers never wait on each other crosswise), and count the children."""
    by_channel: dict[int, list[ArticlePage]] = {}
    parent: dict[int, ChannelPage] = {}
    for channel, article in zip(channels, articles, strict=True):
        by_channel.setdefault(channel.pk, []).append(article)
        parent.setdefault(channel.pk, channel)
    for pk in sorted(by_channel):
        channel, children = parent[pk], by_channel[pk]
        for article, path in zip(children, _child_paths(channel, len(children)), strict=True):
            _place(article, channel, path, now)
        ChannelPage.objects.filter(pk=pk).update(numchild=channel.numchild + len(children))
        channel.numchild += len(children)


def _place(article: ArticlePage, channel: ChannelPage, path: str, now: datetime) -> None:
    """The tree, URL and publication fields of a new child of `channel` at `path`."""
    suffix = path[-STEPLEN:].lower().lstrip("0") or "0"
    article.slug = f"{slugify(article.title)[:70].strip('-') or 'article'}-{suffix}"
    article.path = path
    article.depth = channel.depth + 1
    article.numchild = 0
    article.url_path = f"{channel.url_path}{article.slug}/"
    article.content_type = ContentType.objects.get_for_model(ArticlePage)
    article.locale_id = channel.locale_id or Locale.get_default().pk
    article.draft_title = article.title
    if not article.column and not article.source_name:
        article.column = channel.column  # as ArticlePage.save: the channel's desk
    if article.live:
        article.published_at = article.published_at or now
        article.has_unpublished_changes = False
        article.first_published_at = article.first_published_at or article.published_at
        article.last_published_at = article.last_published_at or article.published_at
    else:
        article.has_unpublished_changes = True


def _authors_match(articles: list[ArticlePage]) -> None:
    """The author page of each byline without one, as ArticlePage.save (one query per byline)."""
    found: dict[str, Author | None] = {}
    for article in articles:
        if article.author_id is None and article.byline:
            if article.byline not in found:
                found[article.byline] = selectors.author_for_byline(byline=article.byline)
            article.author = found[article.byline]


def _history_write(
    articles: list[ArticlePage], tag_rows: list[list[ArticleTag]], now: datetime
) -> list[Revision]:
    """One revision per article (its content as Wagtail serialises it), set as the latest
    (and, when live, the live) revision, with Wagtail's edit and publish log entries."""
    base_type = ContentType.objects.get_for_model(Page)
    page_type = ContentType.objects.get_for_model(ArticlePage)
    relations = [relation.get_accessor_name() for relation in get_all_child_relations(ArticlePage)]
    revisions = []
    for article, rows in zip(articles, tag_rows, strict=True):
        # A new page has no other child rows: say so, so serialising reads none from the database.
        article._cluster_related_objects = {name: [] for name in relations} | {"tagged_items": rows}
        revisions.append(
            Revision(
                content_type=page_type,
                base_content_type=base_type,
                object_id=str(article.pk),
                content=article.serializable_data(),
                object_str=str(article),
                created_at=now,
            )
        )
        del article._cluster_related_objects
    Revision.objects.bulk_create(revisions, batch_size=500)
    for article, revision in zip(articles, revisions, strict=True):
        article.latest_revision = revision
        article.live_revision = revision if article.live else None
    _revisions_link(articles)
    entries = []
    for article, revision in zip(articles, revisions, strict=True):
        actions = ["wagtail.edit", "wagtail.publish"] if article.live else ["wagtail.edit"]
        entries += [
            PageLogEntry(
                content_type=page_type,
                label=article.get_admin_display_title(),
                action=action,
                timestamp=now,
                page_id=article.pk,
                revision=revision,
                content_changed=True,
            )
            for action in actions
        ]
    PageLogEntry.objects.bulk_create(entries, batch_size=500)
    return revisions


def _revisions_link(articles: list[ArticlePage]) -> None:
    """Point each page at its revision (latest, and live when published) with one UPDATE per
    500 pages: `bulk_update` compiles a CASE expression object per row, which cost more than
    writing the revisions."""
    table = connection.ops.quote_name(Page._meta.db_table)
    for start in range(0, len(articles), 500):
        batch = articles[start : start + 500]
        live = [a for a in batch if a.live]
        params: list[int] = []
        for article in batch:
            params += [article.pk, article.latest_revision_id]
        for article in live:
            params += [article.pk, article.live_revision_id]
        params += [article.pk for article in batch]
        latest_case = "CASE id " + "WHEN %s THEN %s " * len(batch) + "END"
        live_case = (
            "CASE id " + "WHEN %s THEN %s " * len(live) + "ELSE live_revision_id END"
            if live
            else "live_revision_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET latest_revision_id = {latest_case}, "  # noqa: S608
                f"live_revision_id = {live_case} WHERE id IN ({', '.join(['%s'] * len(batch))})",
                params,
            )


def _index_built(
    articles: list[ArticlePage], tag_rows: list[list[ArticleTag]], norms: TitleNorms
) -> None:
    """Index the articles as built, their tags given in memory (no reload, no query each)."""
    for article, rows in zip(articles, tag_rows, strict=True):
        article._cluster_related_objects = {"tagged_items": rows}
    try:
        search_index_add_bulk(model=ArticlePage, objects=articles, norms=norms)
    finally:
        for article in articles:
            del article._cluster_related_objects


def _insert_rows(articles: list[ArticlePage]) -> None:
    if connection.vendor == "postgresql":
        for article, pk in zip(articles, _ids_reserved(Page, len(articles)), strict=True):
            article.id = article.page_ptr_id = pk
        _rows_copy(model=Page, objects=articles, fields=Page._meta.concrete_fields)
        _rows_copy(
            model=ArticlePage, objects=articles, fields=ArticlePage._meta.local_concrete_fields
        )
        return
    page_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
    pages = [Page(**{f.attname: getattr(a, f.attname) for f in page_fields}) for a in articles]
    Page.objects.bulk_create(pages, batch_size=500)
    for article, page in zip(articles, pages, strict=True):
        article.page_ptr_id = article.pk = page.pk
        article._state.adding = False
    # Django refuses bulk_create on multi-table children; insert the child rows the way
    # Model.save_base(raw=True) does, a batch at a time.
    local_fields = ArticlePage._meta.local_concrete_fields
    batch = max(1, 900 // len(local_fields))
    for start in range(0, len(articles), batch):
        ArticlePage._base_manager._insert(
            articles[start : start + batch], fields=local_fields, raw=True
        )


def _ids_reserved(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys from the model's sequence (PostgreSQL), in ascending order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


# Fields whose Python value psycopg writes as Django would prepare it (a value in, the same out).
_PLAIN_FIELDS = (
    CharField,
    TextField,
    IntegerField,
    BooleanField,
    DateTimeField,
    UUIDField,
    ForeignKey,
)


@cache
def _prepared(field: Field) -> Callable[[Model], Any]:
    """How a field's value is read for COPY: the attribute itself when Django would send it
    unchanged, else the field's own preparation."""
    if isinstance(field, StreamField):
        # The field's own `get_db_prep_value` builds a new JSONField for every value.
        json_field = field.json_field
        return lambda obj: json_field.get_db_prep_value(
            field.get_prep_value(field.value_from_object(obj)), connection, prepared=True
        )
    if (
        isinstance(field, _PLAIN_FIELDS)
        and not getattr(field, "auto_now_add", False)
        and not getattr(field, "auto_now", False)
    ):
        return attrgetter(field.attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


def _rows_copy(*, model: type[Model], objects: Sequence[Model], fields: Iterable[Field]) -> None:
    """Write `fields` of `objects` (primary keys set) into the model's table with PostgreSQL's
    COPY: no statement to parse on either side and no literal to quote."""
    fields = list(fields)
    readers = [_prepared(field) for field in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objects:
            copy.write_row([read(obj) for read in readers])
            obj._state.adding = False


def _tag_rows(
    articles: list[ArticlePage], tags: list[list[str]], by_name: dict[str, Tag]
) -> list[list[ArticleTag]]:
    """Insert the tag rows (`by_name`: the tags by lower-case name); each article's rows, in
    its order."""
    per_article = []
    for article, names in zip(articles, tags, strict=True):
        rows: list[ArticleTag] = []
        for name in names:
            tag = by_name.get(name.strip()[:100].lower())
            if tag and all(row.tag_id != tag.pk for row in rows):
                rows.append(instance_unsaved(ArticleTag, tag=tag, content_object_id=article.pk))
        per_article.append(rows)
    every = [row for rows in per_article for row in rows]
    if connection.vendor == "postgresql":
        for row, pk in zip(every, _ids_reserved(ArticleTag, len(every)), strict=True):
            row.pk = pk
        _rows_copy(model=ArticleTag, objects=every, fields=ArticleTag._meta.concrete_fields)
    else:
        ArticleTag.objects.bulk_create(every, batch_size=2000)
    return per_article


def search_index_bulk_update(*, ids: list[int], norms: TitleNorms | None = None) -> None:
    """(Re)index the given articles in one pass, tags prefetched."""
    objects = list(ArticlePage.objects.filter(pk__in=ids).prefetch_related("tagged_items__tag"))
    search_index_add_bulk(model=ArticlePage, objects=objects, norms=norms or TitleNorms())
