"""Keeping discovery's precomputed lists up to date.

- `index_rebuild`: refit the text model, cluster every live article into stories in publication
  order, compute every Related list. `masthead rebuild_discovery`.
- `article_update`: one article published, changed or withdrawn: its profile, its story, its
  Related list and the lists it enters or leaves. Runs as a background task on publish.
- `like_refresh`: co-visitation lists from reader sessions; periodic.

The corpus in memory is a `CorpusIndex` (discovery/corpus_index.py), reached through
`corpus_reader()` by other apps. A worker keeps it between updates; when another process has
written profiles since, it opens the memory-mapped snapshot under MASTHEAD_DISCOVERY_DIR and
applies the profiles written after it, or reads every profile when there is no usable snapshot.
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Max
from django.utils import timezone

from masthead.discovery import ann, embeddings, engine
from masthead.discovery.corpus_index import CorpusIndex, IndexRow, StoredRows
from masthead.discovery.desk import story_pins
from masthead.discovery.models import ArticleProfile, TextModel
from masthead.engagement.models import ReaderView
from masthead.news.cache import keys_purge, lists_key, purges_batched
from masthead.news.models import ArticlePage, ArticleTag
from masthead.news.stories import (
    story_entries_replace,
    story_entries_set,
    story_entries_set_many,
)
from masthead.news.tree import parent_path

TITLE_WEIGHT = 2  # the title counts as often as this in the document
SESSION_GAP = timedelta(hours=1)
LIKE_LOOKBACK = timedelta(days=30)
# Like claims "readers of this also read": only pairs that at least this many reading sessions
# share are kept; a page shows Like only when interface.LIKE_MIN such items remain.
LIKE_MIN_SUPPORT = 3
WRITE_BATCH = 1000
SNAPSHOT_AFTER = 500  # rows changed in memory before the task worker writes a new snapshot
REFIT_AFTER = timedelta(days=1)

_TAG = re.compile(r"<[^>]+>")


def stream_text(raw) -> str:
    """Plain text of a StreamField's raw data: every string value, HTML stripped, URLs skipped."""
    out: list[str] = []

    def walk(value):
        if isinstance(value, str):
            if not value.startswith(("http://", "https://")):
                out.append(html.unescape(_TAG.sub(" ", value)))
        elif isinstance(value, dict):
            if "type" in value and "value" in value:
                walk(value["value"])
            else:
                for v in value.values():
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(raw)
    return " ".join(" ".join(out).split())


def document(*, title: str, dek: str, body: str, tags: list[str]) -> str:
    """The text discovery reads for an article."""
    return "\n".join([*[title] * TITLE_WEIGHT, dek, body, " ".join(tags)])


@dataclass
class Doc:
    id: int
    text: str
    published_at: datetime
    channel_path: str
    tags: list[tuple[int, str]]


def live_docs(ids: list[int] | None = None) -> list[Doc]:
    """Live articles (or the live ones among `ids`) in publication order."""
    pages = ArticlePage.objects.live().order_by("published_at", "id")
    if ids is not None:
        pages = pages.filter(pk__in=ids)
    rows = list(pages.values_list("id", "title", "dek", "body", "path", "published_at"))
    tags: dict[int, list[tuple[int, str]]] = {}
    tagged = ArticleTag.objects.order_by("tag__name")
    if ids is not None:
        tagged = tagged.filter(content_object_id__in=ids)
    for article_id, tag_id, name in tagged.values_list("content_object_id", "tag_id", "tag__name"):
        tags.setdefault(article_id, []).append((tag_id, name))
    docs = []
    for article_id, title, dek, body, path, published in rows:
        article_tags = tags.get(article_id, [])
        text = document(
            title=title,
            dek=dek,
            body=stream_text(getattr(body, "raw_data", body)),
            tags=[name for _, name in article_tags],
        )
        docs.append(Doc(article_id, text, published, parent_path(path), article_tags))
    return docs


_lock = threading.Lock()
_index: CorpusIndex | None = None
_index_mark: dict | None = None


def index_forget() -> None:
    """Drop this process's copy of the index; the next question loads what is stored."""
    global _index, _index_mark
    _index, _index_mark = None, None


@cache
def _encoder(name: str) -> embeddings.Encoder | None:
    """The sentence-embedding model MASTHEAD_EMBEDDINGS names, loaded once per process."""
    return embeddings.encoder_load(name) if name else None


def text_model_load(data: bytes) -> engine.Model | None:
    """The stored text model, or None when it was fitted with other embeddings than the
    configured ones (its vectors cannot be compared with new ones: rebuild)."""
    configured = settings.MASTHEAD_EMBEDDINGS
    model = engine.Model.from_bytes(data, encoder=_encoder(configured))
    return model if model.embedding == configured else None


def _mark() -> dict:
    """What changes whenever any process writes profiles or a new model."""
    agg = ArticleProfile.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    model = TextModel.objects.order_by("-pk").values_list("pk", flat=True).first()
    last = agg["last"].isoformat() if agg["last"] else ""
    return {"model": model, "size": agg["n"], "last": last}


def _current() -> CorpusIndex | None:
    """The index as stored now: this process's copy when nothing changed elsewhere, else the
    snapshot on disk brought up to date from the profiles, else the profiles alone."""
    global _index, _index_mark
    mark = _mark()
    configured = settings.MASTHEAD_EMBEDDINGS
    if _index is not None and _index_mark == mark and _index.model.embedding == configured:
        return _index
    if mark["model"] is None:
        index_forget()
        return None
    model_row = TextModel.objects.get(pk=mark["model"])
    model = text_model_load(bytes(model_row.data))
    if model is None:  # fitted with other embeddings: wait for the rebuild
        index_forget()
        return None
    index = _snapshot_open(model, mark) or _profiles_load(model_row.pk, model)
    if index.changes >= SNAPSHOT_AFTER or (index.changes and index.changes == index.size):
        index.save(settings.MASTHEAD_DISCOVERY_DIR, mark=mark)
    _index, _index_mark = index, mark
    return index


def _snapshot_open(model: engine.Model, mark: dict) -> CorpusIndex | None:
    """The stored snapshot plus the profiles written since, or None when it cannot serve
    (another model, or the database went back in time: restored or rolled back)."""
    root = settings.MASTHEAD_DISCOVERY_DIR
    meta = CorpusIndex.snapshot_meta(root)
    if meta is None or meta["model_id"] != mark["model"] or meta["mark"]["last"] > mark["last"]:
        return None
    index = CorpusIndex.load(root, model)
    since = datetime.fromisoformat(meta["mark"]["last"]) if meta["mark"]["last"] else None
    changed = ArticleProfile.objects.filter(model_id=mark["model"])
    if since is not None:
        changed = changed.filter(updated_at__gt=since)
    if changed.count() > max(SNAPSHOT_AFTER, index.size // 10):
        return None  # reading most profiles anyway: load them in order instead
    index.catch_up(_stored_rows(changed, index.model.dimensions), read=_profile_rows)
    if index.size != mark["size"]:
        stored = set(ArticleProfile.objects.values_list("article_id", flat=True))
        for article_id in [int(i) for i in index.corpus.ids if int(i) not in stored]:
            gone = index.row_of(article_id)
            if gone is not None:
                index.drop(gone)
    return index


def _stored_rows(profiles: models.QuerySet[ArticleProfile], dims: int) -> StoredRows:
    """`profiles` in publication order as arrays, without their texts."""
    fields = ("article_id", "vector", "published_at", "channel_path", "story", "related_floor")
    rows = list(profiles.order_by("published_at", "article_id").values_list(*fields))
    return StoredRows(
        ids=np.array([r[0] for r in rows], np.int64),
        Z=np.frombuffer(b"".join(bytes(r[1]) for r in rows), np.float32).reshape(-1, dims),
        published=np.array([r[2].timestamp() for r in rows]),
        channel_paths=[r[3] for r in rows],
        stories=np.array([r[4] for r in rows], np.int64),
        floors=np.array([r[5] for r in rows], np.float32),
    )


def _profile_rows(article_ids: list[int]) -> list[IndexRow]:
    """The stored rows of these articles in full, in publication order."""
    tags = _tags_of(article_ids)
    profiles = ArticleProfile.objects.filter(article_id__in=article_ids)
    return [
        _profile_row(p, tags.get(p.article_id, []))
        for p in profiles.order_by("published_at", "article_id")
    ]


def _tags_of(ids: list[int] | None = None) -> dict[int, list[tuple[int, str]]]:
    tagged = ArticleTag.objects.order_by("tag__name")
    if ids is not None:
        tagged = tagged.filter(content_object_id__in=ids)
    tags: dict[int, list[tuple[int, str]]] = {}
    for article_id, tag_id, name in tagged.values_list("content_object_id", "tag_id", "tag__name"):
        tags.setdefault(article_id, []).append((tag_id, name))
    return tags


def _profile_row(profile: ArticleProfile, tags: list[tuple[int, str]]) -> IndexRow:
    return IndexRow(
        article_id=profile.article_id,
        x=_terms_load(bytes(profile.terms)),
        z=np.frombuffer(bytes(profile.vector), np.float32),
        published=profile.published_at.timestamp(),
        channel_path=profile.channel_path,
        tags=tags,
        story=profile.story,
        signature=np.frombuffer(bytes(profile.signature), np.uint32),
        floor=profile.related_floor,
    )


def _profiles_load(model_id: int, model: engine.Model) -> CorpusIndex:
    """Every stored profile, in publication order, read in batches of arrays."""
    index = CorpusIndex(model, model_id=model_id)
    tags = _tags_of()
    fields = (
        "article_id",
        "terms",
        "vector",
        "signature",
        "story",
        "published_at",
        "channel_path",
        "related_floor",
    )
    profiles = (
        ArticleProfile.objects.filter(model_id=model_id)
        .order_by("published_at", "article_id")
        .values_list(*fields)
    )
    batch: list[tuple] = []
    for profile in profiles.iterator(chunk_size=WRITE_BATCH):
        batch.append(profile)
        if len(batch) == 10 * WRITE_BATCH:
            _rows_add(index, batch, tags)
            batch = []
    _rows_add(index, batch, tags)
    return index


def _rows_add(index: CorpusIndex, profiles: list[tuple], tags: dict) -> None:
    if not profiles:
        return
    terms = [bytes(p[1]) for p in profiles]
    sizes = np.array([len(t) // 8 for t in terms])
    indices = np.concatenate(
        [np.frombuffer(t[: 4 * k], np.int32) for t, k in zip(terms, sizes, strict=True)]
    )
    values = np.concatenate(
        [np.frombuffer(t[4 * k :], np.float32) for t, k in zip(terms, sizes, strict=True)]
    )
    X = sp.csr_matrix(
        (values, indices, np.concatenate([[0], np.cumsum(sizes)])),
        shape=(len(profiles), engine.N_FEATURES),
    )
    dims = index.model.dimensions
    index.add_many(
        ids=np.array([p[0] for p in profiles], np.int64),
        X=X,
        Z=np.frombuffer(b"".join(bytes(p[2]) for p in profiles), np.float32).reshape(-1, dims),
        published=np.array([p[5].timestamp() for p in profiles]),
        channel_paths=[p[6] for p in profiles],
        tags=[tags.get(p[0], []) for p in profiles],
        stories=np.array([p[4] for p in profiles], np.int64),
        signatures=np.frombuffer(b"".join(bytes(p[3]) for p in profiles), np.uint32).reshape(
            -1, engine.NUM_PERM
        ),
        floors=np.array([p[7] for p in profiles], np.float32),
    )


def _terms_bytes(x: sp.csr_matrix) -> bytes:
    return x.indices.astype(np.int32).tobytes() + x.data.astype(np.float32).tobytes()


def _terms_load(data: bytes) -> sp.csr_matrix:
    n = len(data) // 8
    indices = np.frombuffer(data[: 4 * n], np.int32)
    values = np.frombuffer(data[4 * n :], np.float32)
    return sp.csr_matrix((values, indices, [0, n]), shape=(1, engine.N_FEATURES))


def _story_assign(
    stories: engine.StoryIndex,
    pins: dict[int, int],
    article_id: int,
    *vectors: Any,
    candidates: np.ndarray | None = None,
) -> int:
    """An editor's grouping wins over clustering (see `desk`); everything else is clustered."""
    if article_id in pins:
        stories.restore(article_id, pins[article_id], *vectors)
        return pins[article_id]
    signature, x, z, published = vectors
    return stories.add(article_id, signature, x, z, published, candidates)[0]


def _merges_apply(index: CorpusIndex) -> set[int]:
    """Relabel the members of stories the clusterer merged (headline stories that came
    together) and move the articles its periodic regroup moved, in the index, their profiles
    and the story entries; returns the articles whose Related lists may change: the members and
    every list that can hold one (one per story)."""
    rows: set[int] = set()
    touched: set[int] = set()
    for article_id, story in index.stories.moves:  # before the merges: they came first
        row = index.row_of(article_id)
        if row is None:
            continue
        touched |= {int(index.corpus.story[row]), story}
        index.story_move(row, story)
        ArticleProfile.objects.filter(pk=article_id).update(story=story, updated_at=timezone.now())
    index.stories.moves.clear()
    for drop, keep in index.stories.merges:
        index.story_relabel(drop, keep)
        ArticleProfile.objects.filter(story=drop).update(story=keep, updated_at=timezone.now())
        touched |= {drop, keep}
    index.stories.merges.clear()
    for story in sorted(touched):
        members = np.flatnonzero(index.corpus.story == story)
        story_entries_set(story=story, article_ids=[int(a) for a in index.corpus.ids[members]])
        rows.update(int(r) for r in members)
    holding = index.affected(index.corpus.Z[sorted(rows)]) if rows else set()
    return {int(index.corpus.ids[r]) for r in rows | holding}


# Rows per progress report of a rebuild's per-article stages.
PROGRESS_CHUNK = 2000
# Articles a rebuild reads, vectorises and signs at a time, and whose Related lists it computes
# and writes at a time: the texts and lists of one chunk are all it holds at once.
REBUILD_CHUNK = 5000
# Graph neighbours offered to story clustering per article on a large corpus (those in the
# article's window are compared). 64 matched the window scan for 96.6 % of a 40,000-article
# demo corpus, 256 for 99.8 %, still 3x faster than the scan (docs/benchmarks.md).
STORY_SEARCH = 256


def _no_report(stage: str, done: int, total: int) -> None:
    return None


def index_rebuild(
    *, refit: bool = True, progress: Callable[[str, int, int], None] | None = None
) -> dict:
    """Recompute every profile, story and Related list from the live articles.

    Texts are read, vectorised and signed REBUILD_CHUNK articles at a time and dropped; the
    model is fitted on a sample; Related lists are computed in chunks into arrays and written
    chunk by chunk, so memory holds the index itself, not the corpus' texts or lists.
    `progress(stage, done, total)` is called as each stage advances (for long rebuilds).
    """
    global _index, _index_mark
    report = progress or _no_report
    order = _live_order()
    report("Articles listed", len(order), len(order))
    with _lock:
        model_row, model = _rebuild_model(order, refit=refit, report=report)
        index = CorpusIndex(model, model_id=model_row.pk, exact_below=ann.EXACT_BELOW)
        shingles = _rows_read(index, order, report)
        # Related candidates and their scores need no story: found and scored in a second
        # thread (the graph search and the matrix products release the interpreter) while this
        # one clusters, so both cores work. Only the choice among them waits for the stories.
        with ThreadPoolExecutor(max_workers=1) as pool:
            scoring = pool.submit(index.related_scored)
            _stories_cluster(index, shingles, report)
            scored = scoring.result()
        # Reported from this thread only: a progress display is not shared between threads.
        report("Related candidates", index.size, index.size)
        related = _related_compute(index, scored, report)
        del scored
        changed = _profiles_write(index, related, model_row.pk, report)
        story_entries_replace(stories=_story_members(index.corpus))
        _index_mark = _mark()
        index.save(settings.MASTHEAD_DISCOVERY_DIR, mark=_index_mark)
        _index = index
    keys_purge(lists_key(a) for a in changed)
    return {"articles": index.size, "stories": index.story_count(), "model": model_row.pk}


def _live_order() -> np.ndarray:
    """Ids of the live articles in publication order (the index's row order)."""
    ids = ArticlePage.objects.live().order_by("published_at", "id").values_list("id", flat=True)
    return np.fromiter(ids.iterator(chunk_size=WRITE_BATCH * 10), np.int64)


def _docs_chunked(ids: np.ndarray):
    """`live_docs` of `ids`, REBUILD_CHUNK at a time, in their order."""
    for start in range(0, len(ids), REBUILD_CHUNK):
        yield live_docs([int(i) for i in ids[start : start + REBUILD_CHUNK]])


def _rebuild_model(
    order: np.ndarray, *, refit: bool, report: Callable[[str, int, int], None]
) -> tuple[TextModel, engine.Model]:
    """The stored model, or a new one fitted on the articles `engine.model_fit` would sample
    from all of them (read from the database alone, not with every other text)."""
    model_row = TextModel.objects.order_by("-pk").first()
    model = None if refit or model_row is None else text_model_load(bytes(model_row.data))
    if model is not None and model_row is not None:
        return model_row, model
    sample = order
    if len(order) > engine.FIT_SAMPLE:
        rng = np.random.default_rng(0)  # model_fit's own draw, so the fit is the same
        sample = order[np.sort(rng.choice(len(order), engine.FIT_SAMPLE, replace=False))]
    texts = [d.text for docs in _docs_chunked(sample) for d in docs]
    report("Fit sample read", len(texts), len(texts))
    model = engine.model_fit(texts, encoder=_encoder(settings.MASTHEAD_EMBEDDINGS))
    del texts
    model_row = TextModel.objects.create(documents=model.documents, data=model.to_bytes())
    report("Text model", 1, 1)
    return model_row, model


def _rows_read(
    index: CorpusIndex, order: np.ndarray, report: Callable[[str, int, int], None]
) -> np.ndarray:
    """Append every live article to `index` (stories still unset), a chunk of texts at a time;
    returns each row's shingle count (what the near-duplicate bar of short texts needs)."""
    shingles: list[int] = []
    for docs in _docs_chunked(order):
        if not docs:
            continue
        texts = [d.text for d in docs]
        X, Z = index.model.vectors(texts)
        signatures = [engine.minhash(t) for t in texts]
        shingles.extend(s.shingles for s in signatures)
        index.add_many(
            ids=np.array([d.id for d in docs], np.int64),
            X=X,
            Z=Z,
            published=np.array([d.published_at.timestamp() for d in docs]),
            channel_paths=[d.channel_path for d in docs],
            tags=[d.tags for d in docs],
            stories=np.full(len(docs), -1, np.int64),
            signatures=np.array([s.hashvalues for s in signatures], np.uint32),
            floors=np.zeros(len(docs), np.float32),
        )
        report("Vectors and signatures", index.size, len(order))
    return np.array(shingles, np.int64)


def _stories_cluster(
    index: CorpusIndex, shingles: np.ndarray, report: Callable[[str, int, int], None]
) -> None:
    """Cluster every row into stories in publication order (an editor's grouping wins)."""
    pins = story_pins()
    corpus = index.corpus
    clusterer = index.stories_over_rows()
    stories = np.zeros(index.size, np.int64)
    starts = range(0, index.size, PROGRESS_CHUNK)
    # Above the graph's threshold, each article is compared with its nearest rows in the
    # graph instead of every article in its window (a cost that grew with the corpus). The
    # next chunk's search runs in a second thread while this one clusters.
    graph = index.vectors.graph is not None
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(_story_near, index, 0, graph)
        for start in starts:
            near = ahead.result()
            if start + PROGRESS_CHUNK < index.size:
                ahead = pool.submit(_story_near, index, start + PROGRESS_CHUNK, graph)
            _stories_chunk(index, clusterer, pins, shingles, stories, start, near)
            report("Stories", min(start + PROGRESS_CHUNK, index.size), index.size)
    # Headline stories merged or regrouped after some members were assigned: final numbers.
    story_of = clusterer.story_of
    final = np.array([story_of.get(int(a), s) for a, s in zip(corpus.ids, stories, strict=True)])
    # Its rows are the index's: updates restore what they need from the stored rows instead.
    index.stories_release()
    index.stories_set(final)


def _story_near(index: CorpusIndex, start: int, graph: bool) -> np.ndarray | None:
    """The graph neighbours (article ids) of the chunk of rows from `start`; None without
    a graph (every article in the window is compared)."""
    end = min(start + PROGRESS_CHUNK, index.size)
    return index.vectors.nearest_ids(index.corpus.Z[start:end], STORY_SEARCH) if graph else None


def _stories_chunk(
    index: CorpusIndex,
    clusterer: engine.StoryIndex,
    pins: dict[int, int],
    shingles: np.ndarray,
    stories: np.ndarray,
    start: int,
    near: np.ndarray | None,
) -> None:
    """Assign the stories of the chunk of rows from `start` in order, into `stories`."""
    corpus = index.corpus
    end = min(start + PROGRESS_CHUNK, index.size)
    for i in range(start, end):
        signature = engine.minhash_load(index.signature(i).tobytes())
        signature.shingles = int(shingles[i])
        stories[i] = _story_assign(
            clusterer,
            pins,
            int(corpus.ids[i]),
            signature,
            corpus.X[i],
            corpus.Z[i],
            float(corpus.published[i]),
            candidates=None if near is None else near[i - start],
        )


@dataclass
class _Related:
    """Every row's Related list as arrays: candidate rows (-1 past the end) and scores."""

    rows: np.ndarray
    scores: np.ndarray

    def items(self, row: int) -> list[tuple[int, float]]:
        kept = self.rows[row] >= 0
        return list(
            zip(self.rows[row][kept].tolist(), self.scores[row][kept].tolist(), strict=True)
        )


def _related_compute(
    index: CorpusIndex, scored: engine.Scored, report: Callable[[str, int, int], None]
) -> _Related:
    related = _Related(
        np.full((index.size, engine.RELATED_KEEP), -1, np.int32),
        np.zeros((index.size, engine.RELATED_KEEP), np.float32),
    )
    for start in range(0, index.size, REBUILD_CHUNK):
        rows = range(start, min(start + REBUILD_CHUNK, index.size))
        neighbours = index.related_chosen(rows, scored)
        index.floors_set(rows, neighbours.floors)
        for row, items in zip(rows, neighbours.items, strict=True):
            if items:
                related.rows[row, : len(items)] = [j for j, _ in items]
                related.scores[row, : len(items)] = [score for _, score in items]
        report("Related", rows.stop, index.size)
    return related


def _profiles_write(
    index: CorpusIndex, related: _Related, model_id: int, report: Callable[[str, int, int], None]
) -> set[int]:
    """Store every row's profile in place of what was stored (Like lists kept); returns the
    articles whose cached lists are stale: those whose Related list or story changed, and every
    member of a story whose membership changed (each member lists the others)."""
    corpus = index.corpus
    changed: set[int] = set()
    stories: set[int] = set()
    with transaction.atomic():
        stored = np.fromiter(ArticleProfile.objects.values_list("article_id", flat=True), np.int64)
        gone = np.setdiff1d(stored, corpus.ids)
        for start in range(0, len(gone), WRITE_BATCH):
            batch = [int(a) for a in gone[start : start + WRITE_BATCH]]
            dropped = ArticleProfile.objects.filter(article_id__in=batch)
            stories.update(dropped.values_list("story", flat=True))
            changed.update(batch)
            dropped.delete()
        for start in range(0, index.size, REBUILD_CHUNK):
            rows = range(start, min(start + REBUILD_CHUNK, index.size))
            ids = [int(corpus.ids[r]) for r in rows]
            before = {
                a: (like, related_list, story)
                for a, like, related_list, story in ArticleProfile.objects.filter(
                    article_id__in=ids
                ).values_list("article_id", "like", "related", "story")
            }
            profiles = []
            for row, article_id in zip(rows, ids, strict=True):
                profile = _row_profile(index, row, model_id, corpus)
                profile.related = index.related_json(row, related.items(row))
                profile.related_floor = float(index.floors[row])
                like, old_related, old_story = before.get(article_id, ([], None, None))
                profile.like = like
                if (old_related, old_story) != (profile.related, profile.story):
                    changed.add(article_id)
                    stories.update(s for s in (old_story, profile.story) if s is not None)
                profiles.append(profile)
            ArticleProfile.objects.filter(article_id__in=ids).delete()
            ArticleProfile.objects.bulk_create(profiles, batch_size=WRITE_BATCH)
            report("Profiles", rows.stop, index.size)
        TextModel.objects.exclude(pk=model_id).delete()
    members = np.isin(corpus.story, np.array(sorted(stories), np.int64))
    return changed | set(corpus.ids[members].tolist())


def _row_profile(
    index: CorpusIndex, row: int, model_id: int, corpus: engine.Corpus
) -> ArticleProfile:
    """An index row as its stored profile (lists not filled in); `corpus` is `index.corpus`,
    passed in because assembling it costs more than the row."""
    c = corpus
    return ArticleProfile(
        article_id=int(c.ids[row]),
        model_id=model_id,
        published_at=datetime.fromtimestamp(float(c.published[row]), UTC),
        channel_path=index.channel_of(row),
        terms=_terms_bytes(c.X[row]),
        vector=c.Z[row].tobytes(),
        signature=index.signature(row).tobytes(),
        story=int(c.story[row]),
    )


def _story_members(corpus: engine.Corpus) -> dict[int, list[int]]:
    """Story id -> its articles, as news stores them for listings."""
    members: dict[int, list[int]] = {}
    for article_id, story in zip(corpus.ids.tolist(), corpus.story.tolist(), strict=True):
        members.setdefault(story, []).append(article_id)
    return members


class CorpusReader:
    """The questions other apps may ask of the corpus in memory (ingestion's near-copy check,
    vocabulary and channel guess), answered without exposing its fields."""

    def __init__(self, index: CorpusIndex | None):
        self._index = index

    def knows(self, word: str) -> bool:
        """Whether the text model has seen the word; with no model yet, no word is known (the
        screening then judges words by the general lexicon alone)."""
        return self._index is not None and self._index.knows(word)

    def near_copy(self, signature: Any, *, bar: float) -> tuple[int, float] | None:
        """The indexed article whose MinHash signature is closest to `signature` at or above
        `bar` (estimated Jaccard), with that similarity."""
        return None if self._index is None else self._index.near_copy(signature, bar=bar)

    def channel_path(self, document: str) -> str | None:
        """The channel (tree path) whose articles' centroid is nearest to `document`."""
        if self._index is None:
            return None
        return self._index.channel_path(self._index.model.vectors([document])[1][0])

    def channel_paths(self, documents: list[str]) -> list[str | None]:
        """`channel_path` of each document, vectorised together: a batch of items costs one
        pass through the text model instead of one per item."""
        if self._index is None or not documents:
            return [None] * len(documents)
        Z = self._index.model.vectors(documents)[1]
        return [self._index.channel_path(z) for z in Z]


def corpus_reader() -> CorpusReader:
    """A read-only view of the corpus as it is now (reloaded when another process changed it)."""
    with _lock:
        return CorpusReader(_current())


def index_warm() -> bool:
    """Open the index and read what the first update after a publish reads (the story rows
    of the current time window, the graph, the text model's first vectors), so that update
    costs what later ones do. For the task worker as it starts; False when there is no index."""
    with _lock:
        index = _current()
        if index is None or not index.size:
            return index is not None
        X, Z = index.model.vectors(["warm"])
        if index.vectors.graph is not None:
            index.vectors.nearest_ids(Z[:1], STORY_SEARCH)
        # Every row of the window, whichever of them a new article's candidates turn out to be.
        signature = engine.minhash("warm").hashvalues.astype(np.uint32)
        index.stories_near(signature, timezone.now().timestamp())
        index.affected(Z[0])
        index.neighbours([index.size - 1])
        index.reserve(SNAPSHOT_AFTER)  # the arrays copied out of their files now, not in an update
        return True


def article_update(*, article_id: int) -> str:
    """Bring discovery up to date with one article: published, changed or no longer live."""
    global _index_mark
    with _lock:
        index = _current()
        if index is None:
            index_rebuild()
            return "rebuilt"
        outcome = _article_update(index, article_id)
        _index_mark = _mark()
        if index.changes >= SNAPSHOT_AFTER:
            index.save(settings.MASTHEAD_DISCOVERY_DIR, mark=_index_mark)
        return outcome


def articles_update(*, article_ids: list[int]) -> dict[str, int]:
    """Bring discovery up to date with many articles at once (a batch of ingested items): the
    new live ones are added together, the others updated one by one as `article_update` does.
    Returns how many were added, changed, removed or not indexed."""
    global _index_mark
    with _lock:
        index = _current()
        if index is None:
            index_rebuild()
            return {"rebuilt": len(set(article_ids))}
        with purges_batched():
            outcomes = _articles_update(index, sorted(set(article_ids)))
        _index_mark = _mark()
        if index.changes >= SNAPSHOT_AFTER:
            index.save(settings.MASTHEAD_DISCOVERY_DIR, mark=_index_mark)
        return dict(Counter(outcomes))


def _articles_update(index: CorpusIndex, article_ids: list[int]) -> list[str]:
    new = [doc for doc in live_docs(article_ids) if index.row_of(doc.id) is None]
    _articles_add(index, new)
    added = {doc.id for doc in new}
    others = [_article_update(index, a) for a in article_ids if a not in added]
    return ["added"] * len(new) + others


def _articles_add(index: CorpusIndex, docs: list[Doc]) -> None:
    """Add new live articles (in publication order) as one `_article_update` each would: each
    gets its story in turn; then the lists of every article any of them enters are computed
    once (an article a later one would enter is among them: floors only rise)."""
    if not docs:
        return
    ids = [doc.id for doc in docs]
    story_before = dict(ArticleProfile.objects.filter(pk__in=ids).values_list("pk", "story"))
    X, Z = index.model.vectors([doc.text for doc in docs])
    pins = story_pins()
    affected: set[int] = set(ids)
    for k, doc in enumerate(docs):
        signature = engine.minhash(doc.text)
        row = _new_row(doc, X[k], Z[k], signature)
        candidates = (
            index.vectors.nearest_ids(Z[k : k + 1], STORY_SEARCH)[0]
            if index.vectors.graph is not None
            else None
        )
        stories = index.stories_near(row.signature, row.published, candidates)
        row.story = _story_assign(
            stories,
            pins,
            doc.id,
            signature,
            X[k],
            Z[k],
            row.published,
            candidates=candidates,
        )
        index.add([row])
        affected |= _merges_apply(index)
    affected |= {int(a) for a in index.corpus.ids[sorted(index.affected(Z))]}
    changed = _lists_store(index, set(ids), sorted(affected))
    corpus = index.corpus
    story_after = {a: int(corpus.story[index.row_of(a)]) for a in ids}
    entered = sorted(set(story_after.values()))
    rows = np.flatnonzero(np.isin(corpus.story, entered))
    members: dict[int, list[int]] = {story: [] for story in entered}
    for article_id, story in zip(
        corpus.ids[rows].tolist(), corpus.story[rows].tolist(), strict=True
    ):
        members[story].append(article_id)
    story_entries_set_many(stories=members)
    moved = {
        s
        for a in ids
        if story_before.get(a) != story_after[a]
        for s in (story_before.get(a), story_after[a])
        if s is not None
    }
    if moved:  # every member of both stories lists the others
        changed |= set(
            ArticleProfile.objects.filter(story__in=moved).values_list("article_id", flat=True)
        )
    keys_purge(lists_key(a) for a in changed)


def _new_row(doc: Doc, x: sp.csr_matrix, z: np.ndarray, signature: Any) -> IndexRow:
    """An article's index row, before its story is known."""
    return IndexRow(
        article_id=doc.id,
        x=x,
        z=z,
        published=doc.published_at.timestamp(),
        channel_path=doc.channel_path,
        tags=doc.tags,
        story=-1,
        signature=signature.hashvalues.astype(np.uint32),
    )


def _article_update(index: CorpusIndex, article_id: int) -> str:
    docs = live_docs([article_id])
    old_row = index.row_of(article_id)
    ids = index.corpus.ids
    affected: set[int] = set()
    if old_row is not None:
        # Every list holding the article had it among its candidates, so beat its floor.
        affected |= {int(ids[r]) for r in index.affected(index.corpus.Z[old_row])}
    story = int(index.corpus.story[old_row]) if old_row is not None else None
    story_before = (
        ArticleProfile.objects.filter(pk=article_id).values_list("story", flat=True).first()
    )
    if not docs:
        if old_row is None:
            return "not indexed"
        index.drop(old_row)
        affected.discard(article_id)
        outcome = "removed"
    else:
        doc = docs[0]
        X, Z = index.model.vectors([doc.text])
        signature = engine.minhash(doc.text)
        published = doc.published_at.timestamp()
        row = _new_row(doc, X, Z[0], signature)
        if old_row is None:
            # Compared with its nearest rows in the graph, as a rebuild compares every article.
            candidates = (
                index.vectors.nearest_ids(Z[:1], STORY_SEARCH)[0]
                if index.vectors.graph is not None
                else None
            )
            stories = index.stories_near(row.signature, published, candidates)
            row.story = _story_assign(
                stories,
                story_pins(),
                doc.id,
                signature,
                X,
                Z[0],
                published,
                candidates=candidates,
            )
            story = row.story
            index.add([row])
            affected |= _merges_apply(index)
            story = int(index.corpus.story[index.size - 1])
            outcome = "added"
        else:
            row.story = int(index.corpus.story[old_row])
            index.replace(old_row, row)
            outcome = "changed"
        ids = index.corpus.ids
        affected |= {int(ids[r]) for r in index.affected(Z[0])}
        affected.add(article_id)
    removed = article_id if outcome == "removed" else None
    changed = _lists_store(index, {article_id}, sorted(affected), removed=removed)
    if story is not None:
        corpus = index.corpus
        members = [int(a) for a in corpus.ids[corpus.story == story]]
        story_entries_set(story=story, article_ids=members, gone=[] if docs else [article_id])
    story_after = (
        ArticleProfile.objects.filter(pk=article_id).values_list("story", flat=True).first()
    )
    if story_before != story_after:  # every member of both stories lists the others
        changed |= set(
            ArticleProfile.objects.filter(story__in=[story_before, story_after]).values_list(
                "article_id", flat=True
            )
        )
    keys_purge(lists_key(a) for a in changed)
    return outcome


def _lists_store(
    index: CorpusIndex, own: set[int], affected: list[int], *, removed: int | None = None
) -> set[int]:
    """Recompute the Related lists of the affected articles and write those that changed, with
    the whole profile of the articles in `own` (just added or changed) and none for `removed`;
    returns the articles whose lists changed (those of `own` included)."""
    changed = set(own)
    rows = sorted(r for r in (index.row_of(i) for i in affected) if r is not None)
    neighbours = index.neighbours(rows)
    index.floors_set(rows, neighbours.floors)
    ids = index.corpus.ids
    now = timezone.now()
    stored = {
        a: (related, floor)
        for a, related, floor in ArticleProfile.objects.filter(
            article_id__in=[int(ids[r]) for r in rows if int(ids[r]) not in own]
        ).values_list("article_id", "related", "related_floor")
    }
    likes = dict(ArticleProfile.objects.filter(pk__in=own).values_list("article_id", "like"))
    corpus = index.corpus
    updated: list[tuple[int, list, float]] = []
    created: list[ArticleProfile] = []
    with transaction.atomic():
        if removed is not None:
            ArticleProfile.objects.filter(article_id=removed).delete()
        for r, items, floor in zip(rows, neighbours.items, neighbours.floors, strict=True):
            article = int(ids[r])
            related = index.related_json(r, items)
            if article in own:
                profile = _row_profile(index, r, index.model_id, corpus)
                profile.like = likes.get(article) or []
                profile.related, profile.related_floor = related, floor
                if article in likes:
                    profile.save()
                else:  # no profile yet (a new article): inserted with the others below
                    created.append(profile)
            elif article in stored and stored[article] != (related, floor):
                updated.append((article, related, floor))
                changed.add(article)
        ArticleProfile.objects.bulk_create(created, batch_size=WRITE_BATCH)
        _lists_update(updated, now=now)
    return changed


def _lists_update(lists: list[tuple[int, list, float]], *, now: datetime) -> None:
    """Write (article id, Related list, floor) rows with one statement run many times: an
    ORM update per row, or `bulk_update`'s CASE per field, costs more than computing them."""
    table = connection.ops.quote_name(ArticleProfile._meta.db_table)
    sql = (
        f"UPDATE {table} SET related = %s, related_floor = %s, updated_at = %s "  # noqa: S608
        "WHERE article_id = %s"
    )
    related = models.JSONField()
    stamp = models.DateTimeField().get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (related.get_db_prep_save(items, connection), float(floor), stamp, article)
                for article, items, floor in lists
            ],
        )


def reader_sessions(*, since: datetime) -> list[list[int]]:
    """Articles read together: each reader's views split where they paused for SESSION_GAP."""
    sessions: list[list[int]] = []
    last_reader: str | None = None
    last_at = datetime.min.replace(tzinfo=UTC)
    for reader, article, at in (
        ReaderView.objects.filter(viewed_at__gte=since)
        .order_by("reader_id", "viewed_at")
        .values_list("reader_id", "article_id", "viewed_at")
        .iterator(chunk_size=5000)
    ):
        if reader != last_reader or at - last_at > SESSION_GAP:
            sessions.append([])
        sessions[-1].append(article)
        last_reader, last_at = reader, at
    return sessions


def like_refresh(*, now: datetime | None = None) -> int:
    """Recompute "readers of this also read" from recent sessions; returns lists changed."""
    now = now or timezone.now()
    lists = engine.covisitation(
        reader_sessions(since=now - LIKE_LOOKBACK), min_count=LIKE_MIN_SUPPORT
    )
    changed = []
    for profile in ArticleProfile.objects.only("article_id", "like"):
        new = [
            [i, round(s, 4), "Readers of this also read"]
            for i, s in lists.get(profile.article_id, [])
        ]
        if new != profile.like:
            profile.like = new
            changed.append(profile)
    ArticleProfile.objects.bulk_update(changed, ["like"], batch_size=WRITE_BATCH)
    keys_purge(lists_key(p.article_id) for p in changed)
    return len(changed)


def refit_is_due(*, now: datetime | None = None) -> bool:
    """Whether the text model is older than REFIT_AFTER (new words and names enter the
    vocabulary's weights and the LSA projection only at a refit)."""
    now = now or timezone.now()
    created = TextModel.objects.order_by("-pk").values_list("created_at", flat=True).first()
    return created is None or now - created >= REFIT_AFTER
