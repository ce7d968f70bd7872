"""Fill a site with the synthetic corpus, fast enough for a million articles."""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import chain, islice
from itertools import count as count_from

from django.core.files.images import ImageFile
from django.db import connection, connections
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.search.models import IndexEntry

from masthead.demo.analytics_traffic import session_analytics_record
from masthead.demo.corpus import (
    VOCABULARY,
    Article,
    article_blocks,
    channels,
    staff_members,
    stories_generate,
)
from masthead.demo.traffic import TrafficArticle, reader_id, traffic_sessions
from masthead.demo.writers import batches_in_order
from masthead.engagement import counters, services
from masthead.engagement.readers import Reader
from masthead.engagement.selectors import reaction_kinds
from masthead.news.bulk import article_body_raw, article_bulk_create, instance_unsaved
from masthead.news.cache import content_generation_bump
from masthead.news.models import ArticlePage, Author, ChannelPage, HomePage
from masthead.news.search_index import TitleNorms
from masthead.news.tree import section_path

DEMO_IMAGES = 12
# Share of articles that carry a lead image.
IMAGE_SHARE = 0.6
# Stories a worker process generates at a time (about 2.2 articles each).
STORIES_PER_JOB = 200
# New objects between two young collections of the garbage collector during a bulk run.
YOUNG_OBJECTS = 50_000


@dataclass(frozen=True)
class GenerateReport:
    articles: int
    seconds: float
    database_bytes: int | None

    @property
    def per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


def channel_tree_ensure(*, home: HomePage) -> dict[str, ChannelPage]:
    """The demo channels (Markets > Stocks and so on), created and published if missing."""
    pages: dict[str, ChannelPage] = {}
    for channel in channels():
        parent = pages[channel.parent] if channel.parent else home
        page = ChannelPage.objects.child_of(parent).filter(slug=channel.slug).first()
        if page is None:
            page = ChannelPage(
                title=channel.title,
                slug=channel.slug,
                column=channel.desk,
                description=f"The latest {channel.title.lower()} news.",
                show_in_menus=channel.parent is None,
            )
            parent.add_child(instance=page)
            page.save_revision().publish()
        pages[channel.slug] = page
    return pages


def demo_images_ensure() -> list:
    """A small set of generated lead images shared by the demo articles."""
    Image = get_image_model()
    images = list(Image.objects.filter(title__startswith="Masthead demo image").order_by("pk"))
    rng = random.Random(7)
    for number in range(len(images), DEMO_IMAGES):
        canvas = PILImage.new("RGB", (1600, 900))
        draw = ImageDraw.Draw(canvas)
        top = tuple(rng.randint(20, 200) for _ in range(3))
        bottom = tuple(rng.randint(20, 200) for _ in range(3))
        for y in range(900):
            mix = y / 899
            draw.line(
                [(0, y), (1600, y)],
                fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
            )
        for _ in range(6):
            x, y, r = rng.randint(0, 1600), rng.randint(0, 900), rng.randint(60, 260)
            draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), width=6)
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=80)
        image = Image(title=f"Masthead demo image {number + 1}")
        image.file = ImageFile(buffer, name=f"masthead-demo-{number + 1}.jpg")
        image.save()
        images.append(image)
    return images


def _portrait(name: str, rng: random.Random) -> ImageFile:
    """A plain square portrait placeholder: a coloured disc with the person's initials."""
    canvas = PILImage.new("RGB", (480, 480), tuple(rng.randint(200, 240) for _ in range(3)))
    draw = ImageDraw.Draw(canvas)
    draw.ellipse([40, 40, 440, 440], fill=tuple(rng.randint(40, 140) for _ in range(3)))
    initials = "".join(part[0] for part in name.split()[:2])
    draw.text((240, 240), initials, fill=(255, 255, 255), anchor="mm", font_size=160)
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=85)
    return ImageFile(buffer, name=f"author-{slugify(name)}.jpg")


def authors_ensure(*, with_photos: bool = True) -> dict[str, Author]:
    """The demo's staff reporters as authors (name, role, bio, portrait), created if missing."""
    Image = get_image_model()
    rng = random.Random(3)
    authors = {author.name: author for author in Author.objects.all()}
    for name, desk, speciality in staff_members():
        if name in authors:
            continue
        photo = None
        if with_photos:
            photo = Image(title=f"Portrait of {name}")
            photo.file = _portrait(name, rng)
            photo.save()
        section = desk.title()
        authors[name] = Author.objects.create(
            name=name,
            slug=slugify(name),
            role=f"{section} reporter",
            photo=photo,
            bio=(
                f"{name.split()[0]} reports on {speciality} for the {section} desk, "
                f"with a particular eye on {', '.join(VOCABULARY[desk]['topics'][:2]).lower()}."
            ),
        )
    return authors


def corpus_prepare(*, seed: int, now: datetime, count: int, processes: int) -> Iterator[Article]:
    """The first `count` articles of the seed's corpus, in order, generated `processes` wide."""
    jobs = ((seed, now, first, first + STORIES_PER_JOB) for first in count_from(0, STORIES_PER_JOB))
    if processes <= 1:
        yield from islice(chain.from_iterable(map(stories_generate, jobs)), count)
        return
    # Spawned, not forked: a fork copies whatever locks this process's threads hold. The workers
    # import only the corpus module (no Django, no database). An executor, not a `Pool`: leaving
    # a `Pool` block terminates it, which can wait forever on a task queue that workers blocked
    # on their unread results will never take from; the executor reads every result it waits for.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=spawn) as pool:
        # A few jobs ahead of the writer, no more: the stories needed are not known in advance.
        ahead = deque(pool.submit(stories_generate, next(jobs)) for _ in range(2 * processes))
        produced = 0
        try:
            while produced < count:
                chunk = ahead.popleft().result()
                ahead.append(pool.submit(stories_generate, next(jobs)))
                yield from chunk[: count - produced]
                produced += min(len(chunk), count - produced)
        finally:
            for job in ahead:  # not started yet: not needed
                job.cancel()


@dataclass(frozen=True)
class Draft:
    """An article of the corpus with what is drawn for it in the corpus's order (its lead
    image, its wire link), so that the pages come out the same whichever process writes them."""

    article: Article
    image_id: int | None
    source_url: str


def _draft(article: Article, images: list, rng: random.Random) -> Draft:
    image = rng.choice(images) if images and rng.random() < IMAGE_SHARE else None
    source_url = (
        f"https://wire.example/{article.story}/{rng.randint(1000, 9999)}"
        if article.is_syndicated
        else ""
    )
    return Draft(article, image.pk if image else None, source_url)


def _article_page(draft: Draft, authors: dict[str, Author]) -> ArticlePage:
    article = draft.article
    body, body_text = article_body_raw(article_blocks(article))
    page = instance_unsaved(
        ArticlePage,
        title=article.title,
        dek=article.dek,
        column=article.column,
        byline=article.byline,
        source_name=article.source_name,
        source_url=draft.source_url,
        is_canonical_at_source=article.is_syndicated,
        published_at=article.published_at,
        lead_image_id=draft.image_id,
        author=authors.get(article.byline),
        body=body,
    )
    page.__dict__["body_text"] = body_text  # what indexing reads, without building blocks
    return page


def generate_processes() -> int:
    """Worker processes that generate text while this one writes: one per core, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


@contextmanager
def collector_relaxed() -> Iterator[None]:
    """Keep the cyclic garbage collector out of a bulk run's way: the objects alive at the
    start (Django's and Wagtail's, about 170,000) are frozen, so that no full collection walks
    them again, and a young collection waits for 50,000 new objects instead of 700. A batch's
    pages, rows and texts are freed by their reference counts; the collector walked them
    all the same, about 0.1 ms per article. Forked writers inherit the setting. A process
    that froze its objects already (a web worker, `masthead/wsgi.py`) keeps them frozen."""
    threshold = gc.get_threshold()
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if freezing:
            gc.unfreeze()


@collector_relaxed()
def corpus_generate(
    *,
    articles: int,
    seed: int,
    now: datetime | None = None,
    batch_size: int = 2000,
    with_images: bool = True,
    processes: int = 1,
    writers: int = 1,
    progress: Callable[[int, float], None] | None = None,
) -> GenerateReport:
    """Add `articles` synthetic articles (deterministic for a seed) to the site's channels;
    `processes` > 1 generates the text in that many worker processes, and on PostgreSQL
    `writers` > 1 writes the channels' batches from that many processes at once (the data
    must be committed: the writers have their own connections)."""
    started = time.perf_counter()
    home = HomePage.objects.get()
    pages = channel_tree_ensure(home=home)
    images = demo_images_ensure() if with_images else []
    authors = authors_ensure(with_photos=with_images)
    rng = random.Random(seed)
    stream = corpus_prepare(
        seed=seed, now=now or timezone.now(), count=articles, processes=processes
    )
    drafts = (_draft(article, images, rng) for article in stream)
    keyed = ((pages[draft.article.channel].pk, draft) for draft in drafts)

    def advance(done: int) -> None:
        if progress:
            progress(done, time.perf_counter() - started)

    if writers > 1 and connection.vendor == "postgresql":
        done = _write_parallel(keyed, writers=writers, batch_size=batch_size, advance=advance)
    else:
        by_pk = {page.pk: page for page in pages.values()}
        done = _write_serial(
            keyed, pages=by_pk, authors=authors, batch_size=batch_size, advance=advance
        )
    content_generation_bump()
    return GenerateReport(done, time.perf_counter() - started, database_size())


def _write_serial(
    keyed: Iterator[tuple[int, Draft]],
    *,
    pages: dict[int, ChannelPage],
    authors: dict[str, Author],
    batch_size: int,
    advance: Callable[[int], None],
) -> int:
    """Write in this process, each channel's share of every `batch_size` articles at once."""
    norms = TitleNorms()
    batch: dict[int, list[Draft]] = defaultdict(list)
    done = pending = 0
    for channel_id, draft in keyed:
        batch[channel_id].append(draft)
        pending += 1
        if pending == batch_size:
            done += sum(
                _channel_write(pages[pk], rows, norms, authors) for pk, rows in batch.items()
            )
            batch.clear()
            pending = 0
            advance(done)
    done += sum(_channel_write(pages[pk], rows, norms, authors) for pk, rows in batch.items())
    advance(done)
    return done


def _write_parallel(
    keyed: Iterator[tuple[int, Draft]],
    *,
    writers: int,
    batch_size: int,
    advance: Callable[[int], None],
) -> int:
    """Write from `writers` forked processes, batches of one channel in order (writers.py).
    The title norms' running sums are kept here: each batch starts from the sums of the
    batches already returned (so the batches still in flight in other writers are left out
    of its average, as with Wagtail's own indexing from two processes)."""
    norms = TitleNorms()
    norms.start(written=IndexEntry.objects.none())
    done = 0
    channels_count = len(channels())
    # Forked, not spawned: a spawned writer would import and set up Django again (about 2 s
    # of CPU each). All of them are forked at the first submit, before this process has any
    # other thread (the text workers' pool starts with the first article), and without an
    # open database connection, so each writer opens its own.
    connections.close_all()
    with ProcessPoolExecutor(
        max_workers=writers, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        pool.submit(os.getpid).result()

        def submit(channel_id, rows: list[Draft]) -> Future[tuple[int, float, int]]:
            assert norms.total is not None, "started above"
            return pool.submit(channel_write, channel_id, rows, norms.total, norms.count)

        for written, total, count in batches_in_order(
            items=keyed,
            submit=submit,
            size=max(1, batch_size // channels_count),
            limit=2 * batch_size,
        ):
            norms.add(total, count)
            done += written
            advance(done)
    return done


def _channel_write(
    channel: ChannelPage, rows: list[Draft], norms: TitleNorms, authors: dict[str, Author]
) -> int:
    article_bulk_create(
        channel=channel,
        articles=[_article_page(draft, authors) for draft in rows],
        tags=[draft.article.tags for draft in rows],
        norms=norms,
    )
    return len(rows)


def channel_write(
    channel_id: int, rows: list[Draft], total: float, count: int
) -> tuple[int, float, int]:
    """A writer process's task: one batch of one channel, the index's title lengths so far
    given as (total, count). Returns the articles written and the lengths they add."""
    norms = TitleNorms(total=total, count=count)
    written = _channel_write(_channel(channel_id), rows, norms, _authors())
    assert norms.total is not None
    return written, norms.total - total, norms.count - count


@cache
def _channel(channel_id: int) -> ChannelPage:
    """The channel page, read once per writer process (forked for one run; its child count
    is read again under a lock at every write)."""
    return ChannelPage.objects.get(pk=channel_id)


@cache
def _authors() -> dict[str, Author]:
    return {author.name: author for author in Author.objects.all()}


def database_size() -> int | None:
    """Bytes on disk of the default database (SQLite file with WAL, or PostgreSQL database)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            return pages * cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
    return None


@dataclass(frozen=True)
class TrafficReport:
    sessions: int
    views_sent: int
    views_counted: int
    reactions: int
    seconds: float


def traffic_simulate(
    *, readers: int, hours: int, seed: int, now: datetime | None = None
) -> TrafficReport:
    """Replay synthetic readers' sessions through the same services as real beacons and clicks."""
    started = time.perf_counter()
    now = now or timezone.now()
    rows = ArticlePage.objects.live().values_list("id", "path", "published_at")
    items = [
        TrafficArticle(id=pk, channel=section_path(path), published_at=at)
        for pk, path, at in rows
        if at
    ]
    sessions = views = counted = reactions = 0
    titles = dict(ArticlePage.objects.live().values_list("id", "title"))
    rng = random.Random(seed)
    for session in traffic_sessions(items=items, readers=readers, hours=hours, now=now, seed=seed):
        reader = Reader(
            id=reader_id(seed, session.reader), is_private=session.is_private, is_new=False
        )
        sessions += 1
        for article_id, at in session.views:
            views += 1
            counted += services.view_record(reader=reader, article_id=article_id, at=at)
        session_analytics_record(rng=rng, reader_id=reader.id, views=session.views, titles=titles)
        for article_id, at in session.reactions:
            reactions += 1
            services.reaction_set(
                reader=reader,
                article_id=article_id,
                kind=next(iter(reaction_kinds())),
                active=True,
                at=at,
            )
    counters.backend().flush()
    content_generation_bump()
    return TrafficReport(sessions, views, counted, reactions, time.perf_counter() - started)
