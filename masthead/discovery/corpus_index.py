"""The corpus as discovery keeps it in memory: one row per live article, in publication order.

`CorpusIndex` owns the arrays Related and story clustering read (`engine.Corpus`), the text
model, the channel and tag of each row, MinHash signatures, the approximate-neighbour graph and
the story index. It changes only through `add`, `replace` and `drop`, and answers other apps'
questions (`near_copy`, `channel_path`, `knows`) without exposing its fields.

`save` writes it as plain .npy files (plus the graph) and `load` memory-maps them, so a worker
opens 100,000 articles in a fraction of a second instead of parsing every stored profile.
Appends grow arrays by doubling, so a publish costs no copy of the corpus. Plain numpy, scipy,
faiss and datasketch; no Django.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from datasketch import MinHash, MinHashLSH

from masthead.discovery import ann, engine

SIMILAR_REASON = "Similar subject"
# The bands of datasketch's MinHashLSH at the near-duplicate threshold (the story index's own).
_LSH = MinHashLSH(threshold=engine.NEAR_DUPLICATE, num_perm=engine.NUM_PERM)
BANDS, BAND_ROWS = _LSH.b, _LSH.r
BAND_SCAN = 10_000  # appended rows scanned per near-copy question before the bands are re-sorted
KEEP_SNAPSHOTS = 2  # the newest and the one before it, which a worker may still have mapped


@dataclass
class IndexRow:
    """One article as the index holds it."""

    article_id: int
    x: sp.csr_matrix  # 1 x N_FEATURES TF-IDF
    z: np.ndarray  # LSA vector
    published: float  # epoch seconds
    channel_path: str
    tags: list[tuple[int, str]]  # (tag id, name)
    story: int
    signature: np.ndarray  # uint32 MinHash values
    floor: float = 0.0  # LSA similarity of its last Related candidate


@dataclass
class StoredRows:
    """Stored rows in publication order, as arrays: what a snapshot is brought up to date with
    (everything but their text, which only new or changed rows need)."""

    ids: np.ndarray  # int64 article ids
    Z: np.ndarray  # LSA vectors, one row each
    published: np.ndarray  # epoch seconds
    channel_paths: list[str]
    stories: np.ndarray
    floors: np.ndarray


class _Rows:
    """A CSR matrix that grows by appending rows without copying what is there."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, columns: int):
        self.indptr, self.indices, self.data = indptr, indices, data
        self.n, self.nnz, self.columns = len(indptr) - 1, int(indptr[-1]), columns

    @classmethod
    def empty(cls, columns: int) -> _Rows:
        return cls(np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32), columns)

    @property
    def matrix(self) -> sp.csr_matrix:
        return sp.csr_matrix(
            (self.data[: self.nnz], self.indices[: self.nnz], self.indptr[: self.n + 1]),
            shape=(self.n, self.columns),
        )

    def append(self, rows: sp.csr_matrix) -> None:
        rows = sp.csr_matrix(rows)
        n, nnz = rows.shape[0], rows.nnz
        self.indptr = _room(self.indptr, self.n + 1 + n)
        self.indices = _room(self.indices, self.nnz + nnz)
        self.data = _room(self.data, self.nnz + nnz)
        self.indptr[self.n + 1 : self.n + 1 + n] = rows.indptr[1:] + self.nnz
        self.indices[self.nnz : self.nnz + nnz] = rows.indices
        self.data[self.nnz : self.nnz + nnz] = rows.data
        self.n, self.nnz = self.n + n, self.nnz + nnz
        self.columns = max(self.columns, rows.shape[1])

    def reserve(self, rows: int) -> None:
        """Writable room for `rows` more rows of the current average length."""
        per_row = -(-self.nnz // max(self.n, 1))
        self.indptr = _room(self.indptr, self.n + 1 + rows)
        self.indices = _room(self.indices, self.nnz + rows * per_row)
        self.data = _room(self.data, self.nnz + rows * per_row)

    def rebuilt(self, matrix: sp.csr_matrix) -> None:
        """Take `matrix` as the whole content (after a replaced or dropped row)."""
        matrix = sp.csr_matrix(matrix)
        self.indptr = matrix.indptr.astype(np.int32)
        self.indices, self.data = matrix.indices.astype(np.int32), matrix.data
        self.n, self.nnz = matrix.shape[0], matrix.nnz


def _room(array: np.ndarray, size: int) -> np.ndarray:
    """`array` itself when it holds `size` items and is writable, else a bigger writable copy."""
    if len(array) >= size and array.flags.writeable:
        return array
    grown = np.zeros((max(size, 2 * len(array), 64), *array.shape[1:]), array.dtype)
    grown[: len(array)] = array
    return grown


@dataclass
class _Columns:
    """Tag ids to matrix columns (and names), and channel paths to small codes."""

    tag_column: dict[int, int] = field(default_factory=dict)
    column_name: dict[int, str] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)
    channel_code: dict[str, int] = field(default_factory=dict)

    def tags(self, tags: list[tuple[int, str]]) -> list[int]:
        cols = []
        for tag_id, name in tags:
            col = self.tag_column.setdefault(tag_id, len(self.tag_column))
            self.column_name[col] = name
            cols.append(col)
        return cols

    def channel(self, path: str) -> int:
        if path not in self.channel_code:
            self.channel_code[path] = len(self.channels)
            self.channels.append(path)
        return self.channel_code[path]


class CorpusIndex:
    """Rows in publication order; `row_of(article_id)` names them."""

    ARRAYS = ("ids", "Z", "published", "story", "floors", "channel", "signatures")
    MOVING = ("story", "floors")  # what changes without a row's text changing
    ROW_PARTS = ("indptr", "indices", "data")  # the files of each sparse row set (X, tags)

    def __init__(self, model: engine.Model, *, model_id: int, exact_below: int = ann.EXACT_BELOW):
        self.model, self.model_id = model, model_id
        dims = model.dimensions
        self._size = 0
        self._arrays: dict[str, np.ndarray] = {
            "ids": np.zeros(0, np.int64),
            "Z": np.zeros((0, dims), np.float32),
            "published": np.zeros(0),
            "story": np.zeros(0, np.int64),
            "floors": np.zeros(0, np.float32),
            "channel": np.zeros(0, np.int32),
            "signatures": np.zeros((0, engine.NUM_PERM), np.uint32),
        }
        self._X = _Rows.empty(engine.N_FEATURES)
        self._tags = _Rows.empty(0)
        self._tag_df: np.ndarray | None = None
        self._columns = _Columns()
        # Article id -> row (-1: none), with room for ids to come: made when first needed, then
        # kept up to date as rows are appended (a dict would cost ~100 bytes an article and be
        # rebuilt after every load; a table rebuilt after every append, O(corpus) per publish).
        self._table: np.ndarray | None = None
        self.vectors = ann.VectorIndex(dims, exact_below=exact_below)
        self._stories: engine.StoryIndex | None = engine.StoryIndex(
            **engine.story_options(self.model.embedding_dimensions)
        )
        self._bands: ann.SignatureBands | None = None
        self._classifier: engine.ChannelClassifier | None = None
        self.changes = 0  # rows added, replaced, dropped or caught up since the last save or load
        # The snapshot this index was loaded from while its files still hold every row as it is
        # here (stories and floors aside): a new snapshot links them instead of writing them.
        self._source: Path | None = None

    # -- reading -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    def _get(self, name: str) -> np.ndarray:
        return self._arrays[name][: self._size]

    @property
    def corpus(self) -> engine.Corpus:
        """The arrays engine functions read; treat as read-only."""
        return engine.Corpus(
            ids=self._get("ids"),
            X=self._X.matrix,
            Z=self._get("Z"),
            published=self._get("published"),
            tags=self._tags.matrix,
            story=self._get("story"),
            topics=self.model.topics,
        )

    @property
    def floors(self) -> np.ndarray:
        return self._get("floors")

    def row_of(self, article_id: int) -> int | None:
        table = self._row_table()
        row = int(table[article_id]) if 0 <= article_id < len(table) else -1
        return row if row >= 0 else None

    def rows_of(self, article_ids: np.ndarray) -> np.ndarray:
        """The rows of many articles at once (-1 for those the index does not hold)."""
        return ann.table_rows(self._row_table(), article_ids)

    def _row_table(self) -> np.ndarray:
        if self._table is None:
            self._table = ann.row_table(self._get("ids"))
        return self._table

    def _table_add(self, ids: np.ndarray, start: int) -> None:
        """Rows `start`... appended with `ids`: the table grows by doubling (new articles have
        the highest ids), so an append costs no pass over the corpus."""
        table = self._table
        assert table is not None
        top = int(ids.max()) + 1 if len(ids) else 0
        if top > len(table):
            grown = np.full(max(top, 2 * len(table)), -1, np.int64)
            grown[: len(table)] = table
            table = self._table = grown
        table[ids] = np.arange(start, start + len(ids))

    def article_id(self, row: int) -> int:
        return int(self._arrays["ids"][row])

    def signature(self, row: int) -> np.ndarray:
        """The row's MinHash values (uint32)."""
        return self._arrays["signatures"][row]

    def channel_of(self, row: int) -> str:
        return self._columns.channels[int(self._arrays["channel"][row])]

    def tag_columns(self, row: int) -> set[int]:
        T = self._tags
        return set(T.indices[T.indptr[row] : T.indptr[row + 1]].tolist())

    def _tag_counts(self) -> np.ndarray:
        """How many articles carry each tag column (cached until the tag rows change)."""
        if self._tag_df is None:
            T = self._tags.matrix
            self._tag_df = np.bincount(T.indices, minlength=T.shape[1])
        return self._tag_df

    def reason(self, row: int, other: int) -> str:
        """Names the most specific tag the two share: the one on the fewest articles."""
        return self._reason(self.tag_columns(row) & self.tag_columns(other))

    def _reason(self, shared: set[int]) -> str:
        if shared:
            df, names = self._tag_counts(), self._columns.column_name
            rarest = min(shared, key=lambda c: (df[c] if c < len(df) else 0, names[c]))
            return f"Also about {names[rarest]}"
        return SIMILAR_REASON

    def related_json(self, row: int, items: list[tuple[int, float]]) -> list:
        """A Related list as stored: [article id, score, reason, story] per item."""
        ids, story = self._get("ids"), self._get("story")
        mine = self.tag_columns(row)
        at, columns = self._tags.indptr, self._tags.indices
        return [
            [
                int(ids[j]),
                round(score, 4),
                self._reason(mine.intersection(columns[at[j] : at[j + 1]].tolist())),
                int(story[j]),
            ]
            for j, score in items
        ]

    def neighbours(self, rows: Sequence[int]) -> engine.Neighbours:
        """Related lists of `rows`: approximate candidates, exact scores."""
        return engine.related_rows(self.corpus, rows, candidates=self._candidates())

    def _candidates(self) -> Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]:
        Z, table = self._get("Z"), self._row_table()
        return lambda block, count: self.vectors.candidates(Z, block, count, table)

    def related_scored(self) -> engine.Scored:
        """Every row's Related candidates, scored: what `related_chosen` picks from once the
        stories are known (a rebuild computes it while it clusters)."""
        corpus, candidates = self.corpus, self._candidates()
        n, count = self._size, min(engine.CANDIDATES, self._size - 1)
        scored = engine.Scored(
            np.full((n, max(count, 0)), -1, np.int32),
            np.zeros((n, max(count, 0)), np.float32),
            np.full(n, -1.0, np.float32),
        )
        if count <= 0:
            return scored
        step = engine.related_block_rows(corpus, graph=self.vectors.graph is not None)
        for start in range(0, n, step):
            block = np.arange(start, min(start + step, n))
            part = engine.related_scored(corpus, block, count, candidates)
            scored.cands[block], scored.scores[block] = part.cands, part.scores
            scored.floors[block] = part.floors
        return scored

    def related_chosen(self, rows: range, scored: engine.Scored) -> engine.Neighbours:
        """Related lists of `rows` from `related_scored`, under the rows' current stories."""
        block = np.arange(rows.start, rows.stop)
        if not scored.cands.shape[1]:
            return engine.Neighbours([[] for _ in block], [-1.0 for _ in block])
        part = engine.Scored(
            scored.cands[block].astype(np.int64), scored.scores[block], scored.floors[block]
        )
        return engine.related_chosen(self.corpus, block, part)

    def affected(self, z: np.ndarray) -> set[int]:
        """Rows whose Related candidates a vector `z` (or any row of a matrix `z`) would
        enter."""
        return set(engine.affected_rows(self.corpus, z, self.floors).tolist())

    @property
    def stories(self) -> engine.StoryIndex:
        """The story index as held: the rows `stories_near` restored so far (none after a load
        or a rebuild) and the articles added since."""
        if self._stories is None:
            self._stories = engine.StoryIndex(
                **engine.story_options(self.model.embedding_dimensions)
            )
        return self._stories

    def stories_near(
        self, signature: np.ndarray, published: float, candidates: np.ndarray | None = None
    ) -> engine.StoryIndex:
        """The story index holding at least every row that can decide the story of an article
        with the MinHash values `signature` published at `published`: the rows in its time
        window (or only `candidates` among them, the article ids `StoryIndex.add` will be given;
        under average linkage every member of the window's stories, whose sums it compares), the
        rows sharing a signature band with it (near-copies join from any time) and the row with
        the highest story number (new stories are numbered after it). Rows are restored on
        demand, so a worker that just opened the index pays for a window, not the corpus."""
        stories = self.stories
        if not self._size:
            return stories
        published_at, story = self._get("published"), self._get("story")
        if candidates is not None and stories.headline_linkage != "average":
            found = (self.row_of(int(a)) for a in candidates if a >= 0)
            near = np.array([r for r in found if r is not None], np.int64)
            near = near[np.abs(published_at[near] - published) <= stories.window]
        else:
            window = np.abs(published_at - published) <= stories.window
            if stories.headline_linkage == "average":
                window |= np.isin(story, story[window])
            near = np.flatnonzero(window)
        rows = np.union1d(near, self._band_rows(signature))
        rows = np.union1d(rows, [int(np.argmax(story))])
        ids, held = self._get("ids"), stories.story_of
        missing = [int(r) for r in rows if int(ids[r]) not in held]
        if missing:
            X, Z = self._X.matrix[missing], self._get("Z")
            for k, row in enumerate(missing):
                stories.restore(
                    int(ids[row]),
                    int(story[row]),
                    _minhash(self._arrays["signatures"][row]),
                    X[k],
                    Z[row],
                    float(published_at[row]),
                )
        return stories

    def stories_over_rows(self) -> engine.StoryIndex:
        """A new, empty story index that compares articles by this index's own arrays instead of
        copies: for a rebuild, which must then give it every row in order, changing no row
        meanwhile, and release it (`stories_release`) before the index changes."""
        self._stories = engine.StoryIndex(
            **engine.story_options(self.model.embedding_dimensions), rows=_IndexRows(self)
        )
        return self._stories

    def stories_release(self) -> None:
        """Forget the story index (a rebuild's reads rows that later changes move);
        `stories_near` restores what later articles need."""
        self._stories = None

    def story_count(self) -> int:
        return len(set(self._get("story").tolist()))

    # -- questions other apps ask --------------------------------------------------------------

    def knows(self, word: str) -> bool:
        """Whether the text model has seen the word."""
        return self.model.has_seen(word)

    def near_copy(self, signature: MinHash, *, bar: float) -> tuple[int, float] | None:
        """The indexed article whose MinHash signature is closest to `signature` at or above
        `bar` (estimated Jaccard), with that similarity."""
        values = signature.hashvalues.astype(np.uint32)
        rows = self._band_rows(values)
        if not len(rows):
            return None
        similarity = (self._get("signatures")[rows] == values).mean(axis=1)
        ids = self._get("ids")[rows]
        best = np.lexsort((ids, -similarity))[0]
        if similarity[best] < bar:
            return None
        return int(ids[best]), float(similarity[best])

    def _band_rows(self, values: np.ndarray) -> np.ndarray:
        """Rows whose signature shares a band with `values`: the sorted bands of the rows there
        were when they were last built, and a scan of the rows appended since (rebuilt once
        those outnumber them, so appends cost no re-sort of the corpus)."""
        signatures = self._get("signatures")
        if self._bands is None or len(signatures) - len(self._bands.signatures) > max(
            len(self._bands.signatures), BAND_SCAN
        ):
            self._bands = ann.SignatureBands(signatures, bands=BANDS, rows=BAND_ROWS)
        base = len(self._bands.signatures)
        found = self._bands.query(values)
        appended = ann.sharing_band(signatures[base:], values, bands=BANDS, rows=BAND_ROWS)
        return np.concatenate([found, base + appended]) if len(appended) else found

    def channel_path(self, z: np.ndarray) -> str | None:
        """The channel whose articles' centroid is nearest to the LSA vector `z`."""
        if not self._size:
            return None
        if self._classifier is None:
            channels = [self._columns.channels[c] for c in self._get("channel")]
            self._classifier = engine.ChannelClassifier(self._get("Z"), channels)
        return self._classifier.predict(z)

    # -- changing ------------------------------------------------------------------------------

    def add(self, rows: Sequence[IndexRow]) -> None:
        """Append new articles (later in publication order than every row so far)."""
        if rows:
            self.add_many(
                ids=np.array([r.article_id for r in rows], np.int64),
                X=sp.vstack([r.x for r in rows], format="csr"),
                Z=np.vstack([r.z for r in rows]),
                published=np.array([r.published for r in rows]),
                channel_paths=[r.channel_path for r in rows],
                tags=[r.tags for r in rows],
                stories=np.array([r.story for r in rows], np.int64),
                signatures=np.vstack([r.signature for r in rows]),
                floors=np.array([r.floor for r in rows], np.float32),
            )

    def add_many(
        self,
        *,
        ids: np.ndarray,
        X: sp.csr_matrix,
        Z: np.ndarray,
        published: np.ndarray,
        channel_paths: list[str],
        tags: list[list[tuple[int, str]]],
        stories: np.ndarray,
        signatures: np.ndarray,
        floors: np.ndarray,
        vectors: ann.VectorIndex | None = None,
    ) -> None:
        """`add` for many rows given as arrays (a rebuild or a load). `vectors`: an index that
        already holds exactly these rows (a rebuild builds it first, for story candidates)."""
        start, n = self._size, len(ids)
        values = {
            "ids": ids,
            "Z": Z,
            "published": published,
            "story": stories,
            "floors": floors,
            "channel": [self._columns.channel(path) for path in channel_paths],
            "signatures": signatures,
        }
        for name, value in values.items():
            array = _room(self._arrays[name], start + n)
            array[start : start + n] = value
            self._arrays[name] = array
        self._size += n
        self._X.append(X)
        self._tags.append(self._tag_rows(tags))
        self._tag_df = None
        if self._table is not None:
            self._table_add(np.asarray(ids, np.int64), start)
        if vectors is not None and start == 0:
            self.vectors = vectors
        elif self.vectors.graph is None and self._size >= self.vectors.exact_below:
            self.vectors.build(self._get("ids"), self._get("Z"))
        else:
            self.vectors.add(ids, Z, size=self._size)
        self._source = None
        self._changed(n, appended=True)

    def reserve(self, rows: int) -> None:
        """Writable room for at least `rows` appended rows. A loaded index's arrays are
        memory-mapped read-only: the first append copies every one of them (about 2 KB an
        article), which a worker does here as it warms up rather than in its first update."""
        size = self._size + rows
        for name in self.ARRAYS:
            self._arrays[name] = _room(self._arrays[name], size)
        for sparse in (self._X, self._tags):
            sparse.reserve(rows)
        self._row_table()

    def replace(self, row: int, new: IndexRow) -> None:
        """Put new content in place of `row` (same article, same place in publication order)."""
        for name, value in (
            ("Z", new.z),
            ("published", new.published),
            ("channel", self._columns.channel(new.channel_path)),
            ("signatures", new.signature),
        ):
            self._arrays[name] = _writable(self._arrays[name])
            self._arrays[name][row] = value
        X = self._X.matrix
        self._X.rebuilt(sp.vstack([X[:row], new.x, X[row + 1 :]], format="csr"))
        tags = self._tag_rows([new.tags])
        self._tags.columns = max(self._tags.columns, tags.shape[1])
        T = self._tags.matrix
        self._tags.rebuilt(sp.vstack([T[:row], tags, T[row + 1 :]], format="csr"))
        self._tag_df = None
        # The story index keeps the article's first text: an edit does not move it to
        # another story.
        self.vectors.add(np.array([new.article_id]), new.z, size=self._size)
        self._source = None
        self._changed(1)

    def drop(self, row: int) -> None:
        """Remove `row` (an article no longer live); later rows move up by one."""
        keep = np.ones(self._size, bool)
        keep[row] = False
        for name in self.ARRAYS:
            self._arrays[name] = self._get(name)[keep].copy()
        self._size -= 1
        self._X.rebuilt(self._X.matrix[keep])
        self._tags.rebuilt(self._tags.matrix[keep])
        self._tag_df = None
        self._table = None
        self._source = None
        self._changed(1)

    def story_relabel(self, old: int, new: int) -> None:
        """Move every article of story `old` to story `new` (the clusterer merged them)."""
        story = self._arrays["story"] = _writable(self._get("story"))
        moved = story == old
        story[moved] = new
        self._changed(int(moved.sum()))

    def stories_set(self, stories: np.ndarray) -> None:
        """Every row's story at once (a rebuild that clustered the rows in `stories` order)."""
        self._arrays["story"] = np.array(stories, np.int64)
        self._changed(self._size)

    def story_move(self, row: int, story: int) -> None:
        """Move one article to `story` (the clusterer regrouped it: its story index knows)."""
        self._arrays["story"] = _writable(self._get("story"))
        self._arrays["story"][row] = story
        self._changed(1)

    def story_set(self, row: int, story: int) -> None:
        self._arrays["story"] = _writable(self._get("story"))
        self._arrays["story"][row] = story
        self._stories = None  # rebuilt from the rows when next needed
        self._changed(1)

    def floors_set(
        self, rows: Sequence[int] | np.ndarray, floors: Sequence[float] | np.ndarray
    ) -> None:
        self._arrays["floors"] = _writable(self._arrays["floors"])
        self._arrays["floors"][np.asarray(rows, np.int64)] = floors

    def catch_up(self, stored: StoredRows, read: Callable[[list[int]], list[IndexRow]]) -> None:
        """Bring the rows up to date with `stored` (the rows written since a snapshot): compared
        as arrays, so rows whose lists alone changed (most) cost no per-row work. New articles and
        changed texts are read in full through `read` (ids in, rows out in publication order);
        stories and floors are set in place."""
        rows = self.rows_of(stored.ids)
        known = rows >= 0
        codes = np.array([self._columns.channel_code.get(p, -1) for p in stored.channel_paths])
        at = rows[known]
        same = (
            np.all(self._get("Z")[at] == stored.Z[known], axis=1)
            & (self._get("published")[at] == stored.published[known])
            & (self._get("channel")[at] == codes[known])
        )
        reread = set(stored.ids[known][~same].tolist()) | set(stored.ids[~known].tolist())
        if reread:
            for new in read(sorted(reread)):
                row = self.row_of(new.article_id)
                if row is None:
                    self.add([new])
                else:
                    self.replace(row, new)
            rows = self.rows_of(stored.ids)
        held = rows >= 0  # all of them, unless a profile went between the two reads
        rows, stories = rows[held], stored.stories[held]
        moved = self._get("story")[rows] != stories
        if moved.any():  # merged by the clusterer or the desk
            story = self._arrays["story"] = _writable(self._arrays["story"])
            story[rows[moved]] = stories[moved]
            self._stories = None  # rebuilt from the rows when next needed
        self.floors_set(rows, stored.floors[held])
        self.changes += len(rows)

    def _tag_rows(self, tags: list[list[tuple[int, str]]]) -> sp.csr_matrix:
        cols = [self._columns.tags(t) for t in tags]
        width = max(len(self._columns.tag_column), 1)
        indptr = np.cumsum([0, *[len(c) for c in cols]])
        indices = np.array([c for row in cols for c in sorted(row)], np.int32)
        return sp.csr_matrix(
            (np.ones(len(indices), np.float32), indices, indptr), shape=(len(tags), width)
        )

    def _changed(self, rows: int, *, appended: bool = False) -> None:
        """Count changed rows and forget what they invalidate: the channel centroids, and the
        sorted signature bands unless rows were only appended (`_band_rows` scans those)."""
        self._classifier = None
        if not appended:
            self._bands = None
        self.changes += rows

    # -- storage -------------------------------------------------------------------------------

    def save(self, root: Path, *, mark: dict) -> Path:
        """Write the index under `root` as a new snapshot and point `root/current` at it."""
        root.mkdir(parents=True, exist_ok=True)
        target = root / f"index-{time.time_ns()}-{os.getpid()}"
        target.mkdir()
        if self._source is not None and self._linked(self._source, target):
            for name in self.MOVING:
                np.save(target / f"{name}.npy", self._get(name))
        else:
            self._write(target)
        meta = {
            "mark": mark,
            "model_id": self.model_id,
            "size": self._size,
            "tags_width": self._tags.columns,
            "tag_column": [
                [t, c, self._columns.column_name[c]] for t, c in self._columns.tag_column.items()
            ],
            "channels": self._columns.channels,
        }
        (target / "meta.json").write_text(json.dumps(meta))
        link = root / f"current-{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(target.name)
        os.replace(link, root / "current")
        self._prune(root, keep=target)
        self.changes = 0
        self._source = target
        return target

    def _write(self, target: Path) -> None:
        for name in self.ARRAYS:
            np.save(target / f"{name}.npy", self._get(name))
        for prefix, rows in (("X", self._X), ("tags", self._tags)):
            np.save(target / f"{prefix}_indptr.npy", rows.indptr[: rows.n + 1])
            np.save(target / f"{prefix}_indices.npy", rows.indices[: rows.nnz])
            np.save(target / f"{prefix}_data.npy", rows.data[: rows.nnz])
        self.vectors.save(target / "vectors.faiss")

    def _linked(self, source: Path, target: Path) -> bool:
        """Hard-link the files of `source` that still hold this index's rows into `target`
        (everything but the stories and floors): a snapshot after the lists changed costs a few
        small files, not a copy of the corpus. False when the files cannot be linked."""
        # Named, not listed: a snapshot another process is pruning lists fewer files, and a
        # missing one must fail the link (and fall back to a full write), not be left out.
        names = [f"{name}.npy" for name in self.ARRAYS if name not in self.MOVING]
        names += [f"{prefix}_{part}.npy" for prefix in ("X", "tags") for part in self.ROW_PARTS]
        if self.vectors.has_graph:
            names.append("vectors.faiss")
        try:
            for name in names:
                os.link(source / name, target / name)
        except OSError:
            for path in target.iterdir():
                path.unlink()
            return False
        return True

    @staticmethod
    def _prune(root: Path, *, keep: Path) -> None:
        snapshots = sorted(p for p in root.glob("index-*") if p.is_dir())
        for old in snapshots[:-KEEP_SNAPSHOTS]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def snapshot_meta(root: Path) -> dict | None:
        try:
            return json.loads((root / "current" / "meta.json").read_text())
        except (OSError, ValueError):
            return None

    @classmethod
    def load(
        cls, root: Path, model: engine.Model, *, exact_below: int = ann.EXACT_BELOW
    ) -> CorpusIndex:
        """Open the current snapshot under `root` (memory-mapped; copied only where changed)."""
        source = (root / "current").resolve()
        meta = json.loads((source / "meta.json").read_text())
        index = cls(model, model_id=meta["model_id"], exact_below=exact_below)
        for name in cls.ARRAYS:
            index._arrays[name] = np.load(source / f"{name}.npy", mmap_mode="r")
        index._size = meta["size"]
        loaded = {
            name: np.load(source / f"{name}.npy", mmap_mode="r")
            for name in (
                "X_indptr",
                "X_indices",
                "X_data",
                "tags_indptr",
                "tags_indices",
                "tags_data",
            )
        }
        index._X = _Rows(
            loaded["X_indptr"], loaded["X_indices"], loaded["X_data"], engine.N_FEATURES
        )
        index._tags = _Rows(
            loaded["tags_indptr"], loaded["tags_indices"], loaded["tags_data"], meta["tags_width"]
        )
        columns = index._columns
        for tag_id, col, name in meta["tag_column"]:
            columns.tag_column[tag_id], columns.column_name[col] = col, name
        for path in meta["channels"]:
            columns.channel(path)
        index._table = None
        index._stories = None
        index.vectors.load(source / "vectors.faiss")
        index._source = source
        return index


class _IndexRows(engine.StoryRows):
    """A story index's rows as views of a `CorpusIndex`'s arrays: its row k is the index's row
    k, so a rebuild holds no second copy of the signatures, TF-IDF and dense rows, and no
    MinHash object, LSH entry or sparse matrix per article. Near-copies are found through the
    bands of every row's signature, keeping those already taken."""

    def __init__(self, index: CorpusIndex):
        self._n = 0
        self._ids = index._get("ids")
        self._all_Z, self._published = index._get("Z"), index._get("published")
        self._signatures = index._get("signatures")
        self._X = index._X.matrix
        self._nnz = np.diff(self._X.indptr)
        self._bands = ann.SignatureBands(self._signatures, bands=BANDS, rows=BAND_ROWS)

    def __len__(self) -> int:
        return self._n

    def append(self, key: int, signature: MinHash, x, z: np.ndarray, published: float) -> None:
        if self._n >= len(self._ids) or key != self._ids[self._n]:
            raise ValueError("a rebuild's story index takes the index's rows in their order")
        self._n += 1

    @property
    def Z(self) -> np.ndarray:
        return self._all_Z[: self._n]

    @property
    def times(self) -> np.ndarray:
        return self._published[: self._n]

    def sharing_band(self, signature: MinHash) -> list[int]:
        """The rows taken so far that share a band, in the order datasketch's `MinHashLSH`
        returns them (sets filled band by band, each in insertion order), so a tie between
        equally close near-copies goes the same way."""
        found: set[int] = set()
        for rows in self._bands.query_bands(signature.hashvalues):
            bucket: set[int] = set()
            for key in self._ids[rows[rows < self._n]].tolist():
                bucket.add(key)
            for key in bucket:
                found.add(key)
        return list(found)

    def jaccard(self, row: int, signature: MinHash) -> float:
        same = np.count_nonzero(self._signatures[row] == signature.hashvalues)
        return float(same) / float(engine.NUM_PERM)

    def nnz(self, row: int) -> int:
        return int(self._nnz[row])

    def dots(self, rows: np.ndarray, x: sp.csr_matrix) -> np.ndarray:
        X, at = self._X, self._X.indptr
        spans = [slice(at[r], at[r + 1]) for r in rows]  # cheaper than scipy's row indexing
        indices = np.concatenate([X.indices[s] for s in spans])
        data = np.concatenate([X.data[s] for s in spans])
        return engine.row_dots(indices, data, self._nnz[rows], x)


def _writable(array: np.ndarray) -> np.ndarray:
    return array if array.flags.writeable else np.array(array)


def _minhash(values: np.ndarray) -> MinHash:
    return engine.minhash_load(np.ascontiguousarray(values, np.uint32).tobytes())
