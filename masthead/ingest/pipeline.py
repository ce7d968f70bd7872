"""The ingestion pipeline: fetch, parse, full text, sanitize, de-duplicate, screen, tag, store.

Each item is recorded once per source (`Item`, unique on a hash of its GUID or normalised URL)
in the same transaction as its article, so re-running a feed, retrying after a timeout or killing
the worker midway never creates a duplicate and never loses an item: the next run does exactly
what is missing. A failing source records its error and backs off; other sources go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import trafilatura
from datasketch import MinHashLSH
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from lxml import html as lxml_html

from masthead.discovery import engine
from masthead.discovery import services as discovery
from masthead.ingest import clean, spam
from masthead.ingest.fetch import FetchError, fetch
from masthead.ingest.models import Item, Source
from masthead.ingest.parse import Entry, FeedError, parse
from masthead.ingest.summary import dek_and_body
from masthead.ingest.tagging import ChannelClassifier, Tagger
from masthead.news.models import ArticlePage, ChannelPage
from masthead.tasks import task

logger = logging.getLogger(__name__)

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

    def __init__(self):
        from masthead.news.models import ArticleTag

        names = list(ArticleTag.objects.values_list("tag__name", flat=True).distinct()[:50_000])
        self.tagger = Tagger(names)
        self.channels = {c.slug: c for c in ChannelPage.objects.live()}
        self.by_path = {c.path: c for c in self.channels.values()}
        self.state = discovery.current_state()
        self.lsh = MinHashLSH(threshold=engine.NEAR_DUPLICATE, num_perm=engine.NUM_PERM)
        self.signatures: dict[str, tuple] = {}
        self.classifier = None
        if self.state is not None and self.state.corpus.size:
            self.classifier = ChannelClassifier(self.state.corpus.Z, self.state.channel)

    def known(self, word: str) -> bool:
        """Whether the site's text model has seen the word (a vocabulary without a word list);
        a site without one has seen nothing, so screening falls back on the general lexicon."""
        return self.state is not None and self.state.model.has_seen(word)

    def near_duplicate(self, signature) -> int | None:
        """An existing article (or one from this run) the text nearly copies."""
        best, best_j = None, engine.near_duplicate_bar(signature)
        if self.state is not None:
            for key in self.state.stories.lsh.query(signature):
                j = signature.jaccard(self.state.stories.signatures[key])
                if j >= best_j:
                    best, best_j = key, j
        for key in self.lsh.query(signature):
            j = signature.jaccard(self.signatures[key][0])
            if j >= best_j:
                best, best_j = self.signatures[key][1], j
        return best

    def remember(self, key: str, signature, article_id: int) -> None:
        if key not in self.signatures:
            self.signatures[key] = (signature, article_id)
            self.lsh.insert(key, signature)

    def channel_for(self, source: Source, entry: Entry, z) -> ChannelPage | None:
        rules = source.rules()
        for category in entry.categories:
            slug = rules.get(category.lower())
            if slug in self.channels:
                return self.channels[slug]
        if source.channel_id and source.channel and source.channel.live:
            return source.channel
        if self.classifier is not None:
            path = self.classifier.predict(z)
            if path in self.by_path:
                return self.by_path[path]
        return next(iter(self.channels.values()), None)


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
    report = report or Report()
    ctx = ctx or Context()
    for entry in entries:
        try:
            status = entry_ingest(source, entry, ctx)
        except Exception:  # one bad item never stops the others
            logger.exception("ingesting an item of %s failed", source)
            status = Item.REJECTED
        report.add(status)
    return report


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


def entry_ingest(source: Source, entry: Entry, ctx: Context) -> str:
    """One entry to an Item and, when new or held, an article. Returns the Item status, or
    "seen" when this source already delivered it."""
    url = clean.url_normalize(entry.url) if entry.url.startswith(("http://", "https://")) else ""
    identity = entry.guid.strip() or url
    title = clean.text_of(entry.title)[:255]
    if not identity and not title:
        return Item.REJECTED  # nothing to recognise it by next time: refuse, do not guess
    key = clean.digest(identity or f"{title}|{entry.published}")
    if Item.objects.filter(source=source, key=key).exists():
        return "seen"

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
    record = dict(source=source, key=key, guid=entry.guid[:1000], url=url[:1000], title=title)
    if not title:
        return _record(record, Item.REJECTED, "no title")

    digest = clean.content_hash(f"{title}\n{text}")
    earlier = Item.objects.filter(content_hash=digest).exclude(article=None).first()
    if earlier is None and url:
        earlier = Item.objects.filter(url=url).exclude(article=None).first()
    if earlier is not None:
        return _record(
            record, Item.DUPLICATE, f"same text as item {earlier.pk}", earlier.article_id, digest
        )

    document = discovery.document(
        title=title, dek=summary, body=clean.text_of(body_html), tags=entry.categories
    )
    signature = engine.minhash(document)
    copied = ctx.near_duplicate(signature)
    if copied is not None:
        return _record(
            record, Item.NEAR_DUPLICATE, "another source of an existing story", copied, digest
        )

    reason = spam.screen(title=title, text=text, raw_html=raw, known=ctx.known)
    status = Item.HELD if reason else Item.NEW
    z = ctx.state.model.dense(ctx.state.model.sparse([document]))[0] if ctx.state else None
    channel = ctx.channel_for(source, entry, z)
    if channel is None:
        return _record(record, Item.REJECTED, "the site has no channel to put it in", None, digest)
    tags = ctx.tagger.suggest(title=title, text=text, categories=entry.categories)
    try:
        with transaction.atomic():
            item = Item.objects.create(
                **record, status=status, reason=reason[:255], content_hash=digest
            )
            article = _article_create(
                source,
                entry,
                channel=channel,
                title=title,
                summary=summary,
                body_html=body_html,
                url=url,
                tags=tags,
                publish=status == Item.NEW and source.policy == Source.PUBLISH,
            )
            item.article = article
            item.save(update_fields=["article"])
    except IntegrityError:
        return "seen"  # another worker took it in between
    ctx.remember(key, signature, article.pk)
    return status


def _record(record: dict, status: str, reason: str, article_id=None, digest: str = "") -> str:
    try:
        with transaction.atomic():
            Item.objects.create(
                **record,
                status=status,
                reason=reason[:255],
                article_id=article_id,
                content_hash=digest if status == Item.REJECTED else "",
            )
    except IntegrityError:
        return "seen"
    return status


def _article_create(
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
    article = ArticlePage(
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
        live=False,
    )
    channel.add_child(instance=article)
    if tags:
        article.tags.add(*tags)
    revision = article.save_revision(log_action=True)
    if publish:
        revision.publish()
    return article


@task()
def source_poll_task(source_id: int) -> str:
    source = Source.objects.filter(pk=source_id, enabled=True).first()
    return str(source_poll(source)) if source else "no such source"


def sources_queue(now: datetime | None = None) -> int:
    """Queue a poll task for each due source (run by `masthead run_periodic`)."""
    count = 0
    for source in due_sources(now):
        # Claim the slot first, so a slow poll is not queued twice.
        claimed = Source.objects.filter(pk=source.pk, next_poll_at=source.next_poll_at).update(
            next_poll_at=(now or timezone.now()) + timedelta(minutes=source.poll_minutes)
        )
        if claimed:
            source_poll_task.enqueue(source.pk)
            count += 1
    return count
