"""The ingestion pipeline: fetch, parse, full text, sanitize, de-duplicate, screen, tag, store.

Each item is recorded once per source (`Item`, unique on a hash of its GUID or normalised URL)
in the same transaction as its article, a batch of items per transaction (`StoreBatch`), so
re-running a feed, retrying after a timeout or killing the worker midway never creates a
duplicate and never loses an item: the next run does exactly what is missing. A failing source records its error and backs off; other sources go on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import trafilatura
from datasketch import MinHashLSH
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from lxml import html as lxml_html
from taggit.models import Tag

from masthead.discovery import engine
from masthead.discovery import services as discovery
from masthead.discovery.signals import updates_batched
from masthead.ingest import clean, spam
from masthead.ingest.fetch import FetchError, fetch, url_problem
from masthead.ingest.models import Item, Source
from masthead.ingest.parse import Entry, FeedError, parse
from masthead.ingest.screening_tables import screening_tables_stored
from masthead.ingest.summary import dek_and_body
from masthead.ingest.tagging import Tagger
from masthead.news.bulk import articles_bulk_create
from masthead.news.cache import purges_batched
from masthead.news.models import ArticlePage, ArticleTag, ChannelPage
from masthead.news.search_index import TitleNorms

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # entries read together; their new items are stored in one transaction
PENDING = "pending"  # entry_ingest's answer for an item queued in the batch
FULL_TEXT_BELOW = 600  # characters of text under which the linked page is fetched
MAX_BACKOFF = timedelta(hours=24)
DEK_LENGTH = 600


@dataclass
class Report:
    seen: int = 0
    new: int = 0
    duplicate: int = 0
    held: int = 0
    rejected: int = 0
    unchanged: bool = False
    error: str = ""

    def add(self, status: str) -> None:
        self.seen += 1
        if status == Item.NEW:
            self.new += 1
        elif status in (Item.DUPLICATE, Item.NEAR_DUPLICATE):
            self.duplicate += 1
        elif status == "seen":  # delivered before: already counted then
            pass
        elif status == Item.HELD:
            self.held += 1
        else:
            self.rejected += 1

    def __str__(self) -> str:
        if self.error:
            return f"failed: {self.error}"
        if self.unchanged:
            return "not modified since the last poll"
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self)[:5])


class Context:
    """What one run shares across items: tags, channels, near-duplicate index, vocabulary."""

    def __init__(self) -> None:
        used = Exists(ArticleTag.objects.filter(tag_id=OuterRef("pk")))
        names = list(Tag.objects.filter(used).values_list("name", flat=True)[:50_000])
        self.tagger = Tagger(names)
        self.channels = {c.slug: c for c in ChannelPage.objects.live()}
        self.by_path = {c.path: c for c in self.channels.values()}
        self.corpus = discovery.corpus_reader()
        self.lsh = MinHashLSH(threshold=engine.NEAR_DUPLICATE, num_perm=engine.NUM_PERM)
        self.signatures: dict[str, tuple] = {}
        self.batch = StoreBatch()
        self.norms = TitleNorms()
        # One screener for the run: its lexicon keeps what it has looked up between items.
        screening_tables_stored()
        self.screener = spam.screener(known=self.known)

    def known(self, word: str) -> bool:
        """Whether the site's text model has seen the word (a vocabulary without a word list);
        a site without one has seen nothing, so screening falls back on the general lexicon."""
        return self.corpus.knows(word)

    def near_duplicate(self, signature) -> int | None:
        """An existing article (or one from this run) the text nearly copies."""
        best, best_j = None, engine.near_duplicate_bar(signature)
        found = self.corpus.near_copy(signature, bar=best_j)
        if found is not None:
            best, best_j = found
        for key in self.lsh.query(signature):
            j = signature.jaccard(self.signatures[key][0])
            if j >= best_j:
                best, best_j = self.signatures[key][1], j
        return best

    def remember(self, key: str, signature, article_id: int) -> None:
        if key not in self.signatures:
            self.signatures[key] = (signature, article_id)
            self.lsh.insert(key, signature)

    def channel_for(self, source: Source, entry: Entry) -> ChannelPage | None:
        """The channel a rule or the source names; None leaves it to `channels_guess`."""
        rules = source.rules()
        for category in entry.categories:
            slug = rules.get(category.lower())
            if slug in self.channels:
                return self.channels[slug]
        if source.channel_id and source.channel and source.channel.live:
            return source.channel
        return None

    def channels_guess(self, items: list[PendingItem]) -> None:
        """Give each item without a channel the one whose articles its text is nearest to
        (else the first channel): one pass of the text model for the whole batch."""
        unplaced = [p for p in items if p.article["channel"] is None]
        try:
            paths = self.corpus.channel_paths([p.document for p in unplaced])
        except Exception:  # the items are still stored, in the first channel
            logger.exception("guessing the channels of %d items failed", len(unplaced))
            paths = [None] * len(unplaced)
        for pending, path in zip(unplaced, paths, strict=True):
            channel = self.by_path.get(path) if path else None
            pending.article["channel"] = channel or next(iter(self.channels.values()))


@dataclass
class PendingItem:
    """An item past every check, waiting to be stored with the rest of its batch."""

    record: dict
    status: str
    reason: str
    digest: str
    url: str
    signature: Any
    document: str  # the text discovery compares (for the channel guess)
    article: dict  # keyword arguments of _article_build


@dataclass
class PendingCopy:
    """An item that copies an item of the batch, recorded once that item has its article."""

    record: dict
    status: str
    reason: str
    digest: str
    original: PendingItem


def _copied(copy: PendingCopy) -> int | None:
    """The article of the item `copy` copies (stored by this batch or by another worker)."""
    article_id = copy.original.record.get("article_id")
    if article_id is None:
        article_id = (
            Item.objects.filter(
                source=copy.original.record["source"], key=copy.original.record["key"]
            )
            .values_list("article_id", flat=True)
            .first()
        )
    return article_id


def _copy_record(copy: PendingCopy) -> str:
    return _record(copy.record, copy.status, copy.reason, _copied(copy), copy.digest)


@dataclass
class StoreBatch:
    """The new items of one chunk of entries, stored in one transaction: a crash rolls back the
    whole batch, and the next run finds none of its items recorded and stores them again."""

    items: list[PendingItem] = field(default_factory=list)
    copies: list[PendingCopy] = field(default_factory=list)
    lsh: MinHashLSH = field(
        default_factory=lambda: MinHashLSH(
            threshold=engine.NEAR_DUPLICATE, num_perm=engine.NUM_PERM
        )
    )

    def add(self, item: PendingItem) -> None:
        self.lsh.insert(item.record["key"], item.signature)
        self.items.append(item)

    def copy_in_batch(self, *, digest: str, url: str, signature: Any = None) -> PendingItem | None:
        """The item of the batch this one copies (same text or link, or nearly the same text
        when a signature is given), or None."""
        for pending in self.items:
            if pending.digest == digest or (url and pending.url == url):
                return pending
        if signature is None:
            return None
        bar = engine.near_duplicate_bar(signature)
        by_key = {p.record["key"]: p for p in self.items}
        for key in self.lsh.query(signature):
            if signature.jaccard(by_key[key].signature) >= bar:
                return by_key[key]
        return None

    def add_copy(self, copy: PendingCopy) -> None:
        """A copy of an item of the batch: recorded with it, pointing at its article."""
        self.copies.append(copy)

    def store(self, ctx: Context) -> list[str]:
        """Store every pending item in one transaction, then the copies of them; returns the
        statuses of the items, then of the copies."""
        try:
            ctx.channels_guess(self.items)
            try:
                statuses = _items_store(self.items, self.copies, ctx)
            except Exception:  # one bad item never stops the others: store them one by one
                logger.exception("storing a batch failed; storing its items one by one")
                statuses = [_item_store_alone(pending, ctx) for pending in self.items]
                statuses += [_copy_record(copy) for copy in self.copies]
            for pending, status in zip(self.items, statuses, strict=False):
                article_id = pending.record.get("article_id")
                if status != "seen" and article_id is not None:
                    ctx.remember(pending.record["key"], pending.signature, article_id)
        finally:  # a batch that failed whole is not carried into the next source's
            self.items, self.copies = [], []
            self.lsh = MinHashLSH(threshold=engine.NEAR_DUPLICATE, num_perm=engine.NUM_PERM)
        return statuses


# Attempts at a batch when another worker records one of its items at the same time.
STORE_ATTEMPTS = 3


def _items_store(items: list[PendingItem], copies: list[PendingCopy], ctx: Context) -> list[str]:
    """Items, their articles and the copies of them in one transaction, the articles through
    the bulk page path; the statuses of the items, then of the copies. An item another worker
    recorded meanwhile is "seen"; the batch is then tried again."""
    for attempt in range(STORE_ATTEMPTS):
        try:
            # One purge and one discovery update for the batch, not one per article.
            with transaction.atomic(), purges_batched(), updates_batched():
                return _items_write(items, copies, ctx)
        except Exception as error:
            for pending in items:  # its article was rolled back with the batch
                pending.record.pop("article_id", None)
            if not isinstance(error, IntegrityError) or attempt == STORE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _items_write(items: list[PendingItem], copies: list[PendingCopy], ctx: Context) -> list[str]:
    keys = [p.record["key"] for p in items] + [c.record["key"] for c in copies]
    taken = set(Item.objects.filter(key__in=keys).values_list("source_id", "key"))
    fresh = [p for p in items if (p.record["source"].pk, p.record["key"]) not in taken]
    articles = [_article_build(**p.article) for p in fresh]
    articles_bulk_create(
        channels=[p.article["channel"] for p in fresh],
        articles=articles,
        tags=[p.article["tags"] for p in fresh],
        norms=ctx.norms,
        with_history=True,
    )
    Item.objects.bulk_create(
        [
            Item(
                **p.record,
                status=p.status,
                reason=p.reason[:255],
                content_hash=p.digest,
                article=article,
            )
            for p, article in zip(fresh, articles, strict=True)
        ]
    )
    for pending, article in zip(fresh, articles, strict=True):
        pending.record["article_id"] = article.pk
    new_copies = [c for c in copies if (c.record["source"].pk, c.record["key"]) not in taken]
    Item.objects.bulk_create(
        [
            Item(**c.record, status=c.status, reason=c.reason[:255], article_id=_copied(c))
            for c in new_copies
        ]
    )
    stored = {id(p) for p in fresh} | {id(c) for c in new_copies}
    return [p.status if id(p) in stored else "seen" for p in items] + [
        c.status if id(c) in stored else "seen" for c in copies
    ]


def _item_store_alone(pending: PendingItem, ctx: Context) -> str:
    try:
        return _items_store([pending], [], ctx)[0]
    except IntegrityError:
        return "seen"  # another worker took it in between
    except Exception:
        logger.exception("storing an item of %s failed", pending.article["source"])
        return Item.REJECTED


def due_sources(now: datetime | None = None):
    now = now or timezone.now()
    return Source.objects.filter(enabled=True, next_poll_at__lte=now).order_by("next_poll_at")


def source_poll(
    source: Source, *, now: datetime | None = None, ctx: Context | None = None
) -> Report:
    """Fetch and ingest one source; records its health; never raises for the source's faults."""
    now = now or timezone.now()
    report = Report()
    try:
        if source.format == Source.HTML:
            fetched = fetch(source.url)
            entries = [_page_entry(fetched.body, fetched.url)]
        else:
            fetched = fetch(source.url, etag=source.etag, last_modified=source.last_modified)
            if fetched.not_modified:
                report.unchanged = True
                entries = []
            else:
                entries = parse(fetched.body, source.format)
        source.etag, source.last_modified = fetched.etag, fetched.last_modified
        report = entries_ingest(source, entries, ctx=ctx, report=report)
    except (FetchError, FeedError) as error:
        report.error = str(error)[:1000]
    except Exception as error:  # a fault of one source never stops the poll of the others
        logger.exception("polling %s failed", source)
        report.error = f"unexpected {type(error).__name__}: {error}"[:1000]
    _health(source, report, now)
    return report


def file_ingest(source: Source, path, *, ctx: Context | None = None) -> Report:
    """Ingest a local feed or ninjs file as if `source` had served it."""
    report = Report()
    try:
        body = path.read_bytes()
        entries = (
            [_page_entry(body, source.url)]
            if source.format == Source.HTML
            else parse(body, source.format)
        )
        report = entries_ingest(source, entries, ctx=ctx, report=report)
    except (OSError, FeedError) as error:
        report.error = str(error)[:1000]
    _health(source, report, timezone.now(), poll=False)
    return report


def _health(source: Source, report: Report, now: datetime, *, poll: bool = True) -> None:
    source.last_polled_at = now
    if report.error:
        source.failures += 1
        source.last_error, source.last_error_at = report.error, now
        if poll:
            wait = timedelta(minutes=source.poll_minutes) * 2 ** min(source.failures, 16)
            source.next_poll_at = now + min(wait, MAX_BACKOFF)
    else:
        source.failures = 0
        source.last_success_at = now
        if poll:
            source.next_poll_at = now + timedelta(minutes=source.poll_minutes)
    source.save(
        update_fields=[
            "last_polled_at",
            "last_success_at",
            "next_poll_at",
            "failures",
            "last_error",
            "last_error_at",
            "etag",
            "last_modified",
        ]
    )
    Source.objects.filter(pk=source.pk).update(
        items_seen=F("items_seen") + report.seen,
        items_new=F("items_new") + report.new,
        items_duplicate=F("items_duplicate") + report.duplicate,
        items_held=F("items_held") + report.held,
    )


def entries_ingest(
    source: Source,
    entries: list[Entry],
    *,
    ctx: Context | None = None,
    report: Report | None = None,
) -> Report:
    """Ingest `entries` a chunk at a time (`_chunks`): each chunk's lookups among the recorded
    items are a query or two for the whole chunk, and its new items are stored together."""
    report = report or Report()
    ctx = ctx or Context()
    for chunk in _chunks(source, entries, report):
        _statuses_add(report, _chunk_ingest(source, chunk, ctx))
    return report


def _statuses_add(report: Report, statuses: list[str]) -> None:
    for status in statuses:
        report.add(status)


def _page_entry(body: bytes, url: str) -> Entry:
    """An entry from a whole HTML article page: one extraction gives text and metadata."""
    extracted = _extract_html(body, url=url, with_metadata=True)
    if not extracted:
        raise FeedError("no article text found in the page")
    root = lxml_html.fromstring(extracted)
    meta = {m.get("name"): m.get("content", "") for m in root.iter("meta") if m.get("name")}
    page = root.find("body")
    content = "".join(
        lxml_html.tostring(child, encoding="unicode")
        for child in (page if page is not None else [])
    )
    return Entry(
        guid=url,
        url=url,
        title=meta.get("title", ""),
        content=content,
        author=meta.get("author", ""),
        published=_date(meta.get("date")),
        categories=[c.strip() for c in meta.get("categories", "").split(";") if c.strip()],
        image=meta.get("image", ""),
    )


def _extract_html(body: bytes | str, *, url: str | None = None, with_metadata=False) -> str:
    """The article in a page as simple HTML (with metadata in <head> when asked)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    extracted = trafilatura.extract(
        text,
        url=url,
        output_format="html",
        with_metadata=with_metadata,
        include_links=True,
        include_formatting=True,
        include_images=False,
        include_comments=False,
    )
    return extracted or ""


def _date(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


@dataclass
class Identity:
    """What recognises an entry the next time a source delivers it."""

    entry: Entry
    url: str  # normalised, or "" when the fetcher could not read it
    key: str
    title: str


@dataclass
class Reading:
    """An entry read: its record, its text and what de-duplication compares."""

    entry: Entry
    record: dict
    url: str
    raw: str
    text: str
    summary: str
    body_html: str
    digest: str


def _identity(entry: Entry) -> Identity | None:
    """The entry's key (a hash of its GUID or link, else title and date); None when it has
    nothing to be recognised by next time: refused rather than guessed."""
    # A link the fetcher cannot read (invisible characters, odd numeric hosts) is no link: the
    # item keeps its feed text and loses only the full text and the link to the original.
    linkable = entry.url.startswith(("http://", "https://")) and not url_problem(entry.url)
    url = clean.url_normalize(entry.url) if linkable else ""
    identity = entry.guid.strip() or url
    title = clean.text_of(entry.title)[:255]
    if not identity and not title:
        return None
    return Identity(entry, url, clean.digest(identity or f"{title}|{entry.published}"), title)


def _chunks(source: Source, entries: list[Entry], report: Report) -> Iterator[list[Identity]]:
    """Up to BATCH_SIZE identified entries at a time, no key twice in one chunk (a repeat
    starts the next chunk, so it finds the first one recorded); refusals go to `report`."""
    chunk: list[Identity] = []
    for entry in entries:
        try:
            found = _identity(entry)
        except Exception:  # one bad item never stops the others
            logger.exception("ingesting an item of %s failed", source)
            found = None
        if found is None:
            report.add(Item.REJECTED)
            continue
        if len(chunk) >= BATCH_SIZE or any(c.key == found.key for c in chunk):
            yield chunk
            chunk = []
        chunk.append(found)
    if chunk:
        yield chunk


def _chunk_ingest(source: Source, chunk: list[Identity], ctx: Context) -> list[str]:
    """Read, judge and store the entries of one chunk; their statuses ("seen" for an item this
    source delivered before)."""
    seen = set(
        Item.objects.filter(source=source, key__in=[c.key for c in chunk]).values_list(
            "key", flat=True
        )
    )
    statuses = ["seen"] * sum(c.key in seen for c in chunk)
    readings = []
    for identity in chunk:
        if identity.key in seen:
            continue
        try:
            read = _entry_read(source, identity)
        except Exception:  # one bad item never stops the others
            logger.exception("ingesting an item of %s failed", source)
            read = Item.REJECTED
        if isinstance(read, str):
            statuses.append(read)
        else:
            readings.append(read)
    earlier = Earlier(readings)
    for reading in readings:
        try:
            status = _entry_judge(source, reading, ctx, earlier)
        except Exception:  # one bad item never stops the others
            logger.exception("ingesting an item of %s failed", source)
            status = Item.REJECTED
        if status != PENDING:
            statuses.append(status)
    return statuses + ctx.batch.store(ctx)


def _entry_read(source: Source, identity: Identity) -> Reading | str:
    """The entry's text (the linked page's when the feed has only a summary), sanitized and
    split into dek and body; a status when it is refused."""
    entry, url, title = identity.entry, identity.url, identity.title
    record = dict(
        source=source, key=identity.key, guid=entry.guid[:1000], url=url[:1000], title=title
    )
    if not title:
        return _record(record, Item.REJECTED, "no title")
    raw = entry.content or entry.summary
    if source.full_text and url and len(clean.text_of(raw)) < FULL_TEXT_BELOW:
        try:
            page = fetch(entry.url)
            full = _extract_html(page.body)
            if len(clean.text_of(full)) > len(clean.text_of(raw)):
                raw = full
        except (FetchError, FeedError, ValueError):
            pass  # keep the feed's summary
    full_html = clean.sanitize(raw)
    text = clean.text_of(full_html)
    # The feed's summary when it also carries the full text; else the lead leaves the body.
    separate = entry.content and clean.text_of(entry.summary) != clean.text_of(entry.content)
    summary, body_html = dek_and_body(
        title=title, summary_html=entry.summary if separate else "", body_html=full_html
    )
    digest = clean.content_hash(f"{title}\n{text}")
    return Reading(entry, record, url, raw, text, summary, body_html, digest)


class Earlier:
    """Recorded items with an article, by text hash and by link, for the readings of one chunk:
    one query for the chunk, then told of each copy recorded while it is judged."""

    def __init__(self, readings: list[Reading]):
        digests = {r.digest for r in readings}
        urls = {r.url for r in readings if r.url}
        self.by_digest: dict[str, tuple[int, int]] = {}
        self.by_url: dict[str, tuple[int, int]] = {}
        if not readings:
            return
        rows = (
            Item.objects.filter(Q(content_hash__in=digests) | Q(url__in=urls))
            .exclude(article=None)
            .order_by("pk")
            .values_list("pk", "content_hash", "url", "article_id")
        )
        for pk, digest, url, article_id in rows:
            if digest in digests:
                self.by_digest.setdefault(digest, (pk, article_id))
            if url in urls:
                self.by_url.setdefault(url, (pk, article_id))

    def find(self, *, digest: str, url: str) -> tuple[int, int] | None:
        """(item id, article id) of the first item with this text, else with this link."""
        found = self.by_digest.get(digest)
        if found is None and url:
            found = self.by_url.get(url)
        return found

    def recorded(self, item: Item | None) -> None:
        if item is not None and item.article_id is not None and item.url:
            self.by_url.setdefault(item.url, (item.pk, item.article_id))


def _entry_judge(source: Source, reading: Reading, ctx: Context, earlier: Earlier) -> str:
    """Copy, near-copy, held or new: the item's status, or PENDING when it waits in the batch."""
    record, url, title, digest = (
        reading.record,
        reading.url,
        reading.record["title"],
        reading.digest,
    )
    original = ctx.batch.copy_in_batch(digest=digest, url=url)
    if original is not None:
        reason = "same text as an item stored with it"
        ctx.batch.add_copy(PendingCopy(record, Item.DUPLICATE, reason, digest, original))
        return PENDING
    found = earlier.find(digest=digest, url=url)
    if found is not None:
        item = _item_record(
            record, Item.DUPLICATE, f"same text as item {found[0]}", found[1], digest
        )
        earlier.recorded(item)
        return item.status if item else "seen"

    entry = reading.entry
    document = discovery.document(
        title=title,
        dek=reading.summary,
        body=clean.text_of(reading.body_html),
        tags=entry.categories,
    )
    signature = engine.minhash(document)
    original = ctx.batch.copy_in_batch(digest=digest, url=url, signature=signature)
    if original is not None:
        reason = "another source of a story stored with it"
        ctx.batch.add_copy(PendingCopy(record, Item.NEAR_DUPLICATE, reason, digest, original))
        return PENDING
    copied = ctx.near_duplicate(signature)
    if copied is not None:
        reason = "another source of an existing story"
        item = _item_record(record, Item.NEAR_DUPLICATE, reason, copied, digest)
        earlier.recorded(item)
        return item.status if item else "seen"

    text = reading.text
    reason = ctx.screener.verdict(title=title, text=text, raw_html=reading.raw).reason
    status = Item.HELD if reason else Item.NEW
    channel = ctx.channel_for(source, entry)
    if channel is None and not ctx.channels:
        return _record(record, Item.REJECTED, "the site has no channel to put it in", None, digest)
    tags = ctx.tagger.suggest(title=title, text=text, categories=entry.categories)
    ctx.batch.add(
        PendingItem(
            record=record,
            status=status,
            reason=reason,
            digest=digest,
            url=url,
            signature=signature,
            document=document,
            article=dict(
                source=source,
                entry=entry,
                channel=channel,  # None: guessed for the whole batch as it is stored
                title=title,
                summary=reading.summary,
                body_html=reading.body_html,
                url=url,
                tags=tags,
                publish=status == Item.NEW and source.policy == Source.PUBLISH,
            ),
        )
    )
    return PENDING


def _record(record: dict, status: str, reason: str, article_id=None, digest: str = "") -> str:
    item = _item_record(record, status, reason, article_id, digest)
    return item.status if item else "seen"


def _item_record(
    record: dict, status: str, reason: str, article_id=None, digest: str = ""
) -> Item | None:
    """Record an item now (None when another worker recorded it first)."""
    try:
        with transaction.atomic():
            return Item.objects.create(
                **record,
                status=status,
                reason=reason[:255],
                article_id=article_id,
                content_hash=digest if status == Item.REJECTED else "",
            )
    except IntegrityError:
        return None


def _article_build(
    source: Source,
    entry: Entry,
    *,
    channel: ChannelPage,
    title: str,
    summary: str,
    body_html: str,
    url: str,
    tags: list[str],
    publish: bool,
) -> ArticlePage:
    """The article of an item, unsaved: live when it is to be published, else a draft."""
    return ArticlePage(
        title=title,
        dek=summary[:DEK_LENGTH],
        byline=clean.text_of(entry.author)[:200],
        column=source.credit_line[:100],
        source_name=source.credit_line[:100],
        source_url=url,
        is_canonical_at_source=bool(url) and source.canonical_to_original,
        published_at=entry.published
        if entry.published and entry.published <= timezone.now()
        else None,
        body=clean.body_blocks(body_html),
        live=publish,
    )
