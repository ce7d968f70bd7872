"""Keeping discovery's precomputed lists up to date.

- `index_rebuild`: refit the text model, cluster every live article into stories in publication
  order, compute every Related list. `masthead discovery_rebuild`.
- `article_update`: one article published, changed or withdrawn: its profile, its story, its
  Related list and the lists it enters or leaves. Runs as a background task on publish.
- `also_read_refresh`: co-visitation lists from reader sessions; periodic.

The worker keeps the corpus arrays in memory between updates and reloads them when another
process has written profiles since.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from masthead.discovery import engine
from masthead.discovery.desk import story_pins
from masthead.discovery.models import ArticleProfile, TextModel
from masthead.engagement.models import ReaderView
from masthead.news.models import ArticlePage, ArticleTag
from masthead.tasks import task

TITLE_WEIGHT = 2  # the title counts as often as this in the document
SESSION_GAP = timedelta(hours=1)
ALSO_READ_LOOKBACK = timedelta(days=30)
SIMILAR_REASON = "Similar subject"
WRITE_BATCH = 1000
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
        docs.append(Doc(article_id, text, published, path[:-4], article_tags))
    return docs


class _State:
    """The corpus in memory: rows in publication order, the model, the story index."""

    def __init__(self, model_row: TextModel, model: engine.Model):
        self.model_row, self.model = model_row, model
        self.row_of: dict[int, int] = {}
        self.tag_column: dict[int, int] = {}
        self.column_name: dict[int, str] = {}
        self.channel: list[str] = []
        self.tags_of: list[list[int]] = []
        self.corpus = engine.Corpus(
            ids=np.zeros(0, np.int64),
            X=sp.csr_matrix((0, engine.N_FEATURES), dtype=np.float32),
            Z=np.zeros((0, model.components.shape[0]), np.float32),
            published=np.zeros(0),
            tags=sp.csr_matrix((0, 0), dtype=np.float32),
            story=np.zeros(0, np.int64),
        )
        self.floors = np.zeros(0, np.float32)
        self.stories = engine.StoryIndex()
        self.mark: tuple = ()

    def tags_matrix(self) -> sp.csr_matrix:
        rows = [r for r, cols in enumerate(self.tags_of) for _ in cols]
        cols = [c for cols in self.tags_of for c in cols]
        return sp.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, cols)),
            shape=(len(self.tags_of), max(len(self.tag_column), 1)),
        )

    def add_rows(self, ids, X, Z, published, channels, tags, stories, floors) -> None:
        c = self.corpus
        start = c.size
        for i, article_id in enumerate(ids):
            self.row_of[int(article_id)] = start + i
        self.tags_of.extend(self.columns(article_tags) for article_tags in tags)
        self.channel.extend(channels)
        c.ids = np.concatenate([c.ids, np.asarray(ids, np.int64)])
        c.X = sp.vstack([c.X, X], format="csr")
        c.Z = np.vstack([c.Z, Z])
        c.published = np.concatenate([c.published, published])
        c.story = np.concatenate([c.story, np.asarray(stories, np.int64)])
        c.tags = self.tags_matrix()
        self.floors = np.concatenate([self.floors, np.asarray(floors, np.float32)])

    def columns(self, tags: list[tuple[int, str]]) -> list[int]:
        """Tag matrix columns of (tag id, name) pairs; new tags get new columns."""
        cols = []
        for tag_id, name in tags:
            col = self.tag_column.setdefault(tag_id, len(self.tag_column))
            self.column_name[col] = name
            cols.append(col)
        return cols

    def reason(self, row: int, other: int) -> str:
        shared = set(self.tags_of[row]) & set(self.tags_of[other])
        if shared:
            return f"Also about {min(self.column_name[c] for c in shared)}"
        return SIMILAR_REASON

    def related_json(self, row: int, items: list[tuple[int, float]]) -> list:
        c = self.corpus
        return [
            [int(c.ids[j]), round(score, 4), self.reason(row, j), int(c.story[j])]
            for j, score in items
        ]


_lock = threading.Lock()
_state: _State | None = None


def _mark() -> tuple:
    agg = ArticleProfile.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    model = TextModel.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (model, agg["n"], agg["last"])


def _load() -> _State | None:
    """The in-memory state, reloaded from the stored profiles when they changed elsewhere."""
    global _state
    mark = _mark()
    if _state is not None and _state.mark == mark:
        return _state
    if mark[0] is None:
        _state = None
        return None
    model_row = TextModel.objects.get(pk=mark[0])
    state = _State(model_row, engine.Model.from_bytes(bytes(model_row.data)))
    profiles = list(
        ArticleProfile.objects.filter(model=model_row)
        .order_by("published_at", "article_id")
        .values_list(
            "article_id",
            "terms",
            "vector",
            "signature",
            "story",
            "published_at",
            "channel_path",
            "related_floor",
        )
    )
    ids = [p[0] for p in profiles]
    tags: dict[int, list[tuple[int, str]]] = {}
    for article_id, tag_id, name in ArticleTag.objects.order_by("tag__name").values_list(
        "content_object_id", "tag_id", "tag__name"
    ):
        tags.setdefault(article_id, []).append((tag_id, name))
    X = sp.vstack([_terms_load(bytes(p[1])) for p in profiles], format="csr") if profiles else None
    dims = state.model.components.shape[0]
    Z = np.vstack([np.frombuffer(bytes(p[2]), np.float32) for p in profiles]) if profiles else None
    published = np.array([p[5].timestamp() for p in profiles])
    if profiles:
        state.add_rows(
            ids,
            X,
            Z.reshape(-1, dims),
            published,
            [p[6] for p in profiles],
            [tags.get(i, []) for i in ids],
            [p[4] for p in profiles],
            [p[7] for p in profiles],
        )
    c = state.corpus
    for row, (article_id, _, _, signature, story, *_) in enumerate(profiles):
        state.stories.restore(
            article_id,
            story,
            engine.minhash_load(bytes(signature)),
            c.X[row],
            c.Z[row],
            c.published[row],
        )
    state.mark = mark
    _state = state
    return state


def _terms_bytes(x: sp.csr_matrix) -> bytes:
    return x.indices.astype(np.int32).tobytes() + x.data.astype(np.float32).tobytes()


def _terms_load(data: bytes) -> sp.csr_matrix:
    n = len(data) // 8
    indices = np.frombuffer(data[: 4 * n], np.int32)
    values = np.frombuffer(data[4 * n :], np.float32)
    return sp.csr_matrix((values, indices, [0, n]), shape=(1, engine.N_FEATURES))


def _profile(state: _State, row: int, doc: Doc, signature) -> ArticleProfile:
    c = state.corpus
    return ArticleProfile(
        article_id=doc.id,
        model=state.model_row,
        published_at=doc.published_at,
        channel_path=doc.channel_path,
        terms=_terms_bytes(c.X[row]),
        vector=c.Z[row].tobytes(),
        signature=engine.minhash_bytes(signature),
        story=int(c.story[row]),
    )


def _story_assign(state: _State, pins: dict[int, int], article_id: int, *vectors) -> int:
    """An editor's grouping wins over clustering (see `desk`); everything else is clustered."""
    if article_id in pins:
        state.stories.restore(article_id, pins[article_id], *vectors)
        return pins[article_id]
    return state.stories.add(article_id, *vectors)[0]


def index_rebuild(*, refit: bool = True) -> dict:
    """Recompute every profile, story and Related list from the live articles."""
    global _state
    docs = live_docs()
    with _lock:
        model_row = TextModel.objects.order_by("-pk").first()
        if refit or model_row is None:
            model = engine.model_fit([d.text for d in docs])
            model_row = TextModel.objects.create(documents=model.documents, data=model.to_bytes())
        else:
            model = engine.Model.from_bytes(bytes(model_row.data))
        state = _State(model_row, model)
        X = model.sparse([d.text for d in docs]) if docs else state.corpus.X
        Z = model.dense(X) if docs else state.corpus.Z
        signatures = [engine.minhash(d.text) for d in docs]
        pins = story_pins()
        stories = [
            _story_assign(state, pins, d.id, s, X[i], Z[i], d.published_at.timestamp())
            for i, (d, s) in enumerate(zip(docs, signatures, strict=True))
        ]
        state.add_rows(
            [d.id for d in docs],
            X,
            Z,
            np.array([d.published_at.timestamp() for d in docs]),
            [d.channel_path for d in docs],
            [d.tags for d in docs],
            stories,
            [0.0] * len(docs),
        )
        neighbours = engine.related_rows(state.corpus, range(len(docs)))
        state.floors = np.asarray(neighbours.floors, np.float32)
        also_read = {p: a for p, a in ArticleProfile.objects.values_list("article_id", "also_read")}
        profiles = []
        for row, (doc, signature) in enumerate(zip(docs, signatures, strict=True)):
            profile = _profile(state, row, doc, signature)
            profile.related = state.related_json(row, neighbours.items[row])
            profile.related_floor = neighbours.floors[row]
            profile.also_read = also_read.get(doc.id, [])
            profiles.append(profile)
        with transaction.atomic():
            ArticleProfile.objects.all().delete()
            ArticleProfile.objects.bulk_create(profiles, batch_size=WRITE_BATCH)
            TextModel.objects.exclude(pk=model_row.pk).delete()
        state.mark = _mark()
        _state = state
    return {"articles": len(docs), "stories": len(state.stories), "model": model_row.pk}


def current_state() -> _State | None:
    """The corpus in memory (read-only use: near-duplicate checks, channel centroids)."""
    with _lock:
        return _load()


def article_update(*, article_id: int) -> str:
    """Bring discovery up to date with one article: published, changed or no longer live."""
    with _lock:
        state = _load()
        if state is None:
            index_rebuild()
            return "rebuilt"
        return _article_update(state, article_id)


def _article_update(state: _State, article_id: int) -> str:
    c = state.corpus
    docs = live_docs([article_id])
    old_row = state.row_of.get(article_id)
    affected: set[int] = set()
    if old_row is not None:
        # Every list holding the article had it among its candidates, so beat its floor.
        affected |= set(engine.affected_rows(c, c.Z[old_row], state.floors).tolist())
    if not docs:
        if old_row is None:
            return "not indexed"
        _drop_row(state, old_row)
        outcome = "removed"
        ids = [int(c.ids[r]) for r in affected if r != old_row]
        affected = {state.row_of[i] for i in ids if i in state.row_of}
    else:
        doc = docs[0]
        X = state.model.sparse([doc.text])
        Z = state.model.dense(X)
        signature = engine.minhash(doc.text)
        published = doc.published_at.timestamp()
        if old_row is None:
            story = _story_assign(state, story_pins(), doc.id, signature, X, Z[0], published)
            state.add_rows(
                [doc.id],
                X,
                Z,
                np.array([published]),
                [doc.channel_path],
                [doc.tags],
                [story],
                [0.0],
            )
            row = c.size - 1
            outcome = "added"
        else:
            row = old_row
            c.X = sp.vstack([c.X[:row], X, c.X[row + 1 :]], format="csr")
            c.Z[row] = Z[0]
            c.published[row] = published
            state.channel[row] = doc.channel_path
            state.tags_of[row] = state.columns(doc.tags)
            c.tags = state.tags_matrix()
            outcome = "changed"
        affected |= set(engine.affected_rows(c, c.Z[row], state.floors).tolist())
        affected.add(row)
    rows = sorted(affected)
    neighbours = engine.related_rows(c, rows)
    now = timezone.now()
    stored = {
        a: (related, floor)
        for a, related, floor in ArticleProfile.objects.filter(
            article_id__in=[int(c.ids[r]) for r in rows if c.ids[r] != article_id]
        ).values_list("article_id", "related", "related_floor")
    }
    with transaction.atomic():
        if outcome == "removed":
            ArticleProfile.objects.filter(article_id=article_id).delete()
        for r, items, floor in zip(rows, neighbours.items, neighbours.floors, strict=True):
            state.floors[r] = floor
            article = int(c.ids[r])
            related = state.related_json(r, items)
            if article == article_id:
                profile = _profile(state, r, doc, signature)
                profile.also_read = (
                    ArticleProfile.objects.filter(pk=article_id)
                    .values_list("also_read", flat=True)
                    .first()
                    or []
                )
                profile.related, profile.related_floor = related, floor
                profile.save()
            elif article in stored and stored[article] != (related, floor):
                ArticleProfile.objects.filter(pk=article).update(
                    related=related, related_floor=floor, updated_at=now
                )
    state.mark = _mark()
    return outcome


def _drop_row(state: _State, row: int) -> None:
    c = state.corpus
    keep = np.ones(c.size, bool)
    keep[row] = False
    del state.row_of[int(c.ids[row])]
    c.ids, c.X, c.Z = c.ids[keep], c.X[keep], c.Z[keep]
    c.published, c.story, state.floors = c.published[keep], c.story[keep], state.floors[keep]
    del state.channel[row]
    del state.tags_of[row]
    c.tags = state.tags_matrix()
    state.row_of = {int(i): r for r, i in enumerate(c.ids)}


def reader_sessions(*, since: datetime) -> list[list[int]]:
    """Articles read together: each reader's views split where they paused for SESSION_GAP."""
    sessions: list[list[int]] = []
    last_reader, last_at = None, None
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


def also_read_refresh(*, now: datetime | None = None) -> int:
    """Recompute "readers of this also read" from recent sessions; returns lists changed."""
    now = now or timezone.now()
    lists = engine.covisitation(reader_sessions(since=now - ALSO_READ_LOOKBACK))
    changed = []
    for profile in ArticleProfile.objects.only("article_id", "also_read"):
        new = [
            [i, round(s, 4), "Readers of this also read"]
            for i, s in lists.get(profile.article_id, [])
        ]
        if new != profile.also_read:
            profile.also_read = new
            changed.append(profile)
    ArticleProfile.objects.bulk_update(changed, ["also_read"], batch_size=WRITE_BATCH)
    return len(changed)


@task()
def article_update_task(article_id: int) -> str:
    return article_update(article_id=article_id)


@task()
def also_read_refresh_task() -> int:
    return also_read_refresh()


@task()
def index_rebuild_task() -> dict:
    return index_rebuild()


def refit_if_stale(*, now: datetime | None = None) -> bool:
    """Queue a full rebuild when the text model is older than REFIT_AFTER (new words and names
    enter the vocabulary's weights and the LSA projection only at a refit)."""
    now = now or timezone.now()
    created = TextModel.objects.order_by("-pk").values_list("created_at", flat=True).first()
    if created is not None and now - created < REFIT_AFTER:
        return False
    index_rebuild_task.enqueue()
    return True
