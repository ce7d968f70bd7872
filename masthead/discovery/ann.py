"""Finding neighbours without comparing with every article: Related candidates from an HNSW graph
(faiss), near-copies from banded MinHash signatures. Plain numpy and faiss; no Django.

- `VectorIndex`: inner-product neighbours of L2-normalised LSA rows, keyed by article id. Above
  `EXACT_BELOW` rows it searches an HNSW graph and over-fetches; the caller re-scores what it
  returns exactly, so a stale or extra candidate costs a little time and never a wrong score.
  Below it, and for any row the graph leaves short, the search is the exact matrix product.
- `SignatureBands`: the LSH of datasketch's `MinHashLSH` (same bands), as sorted arrays that a
  worker can memory-map instead of re-inserting every signature at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

EXACT_BELOW = 20_000  # rows: exact search is cheap here, and exactly right
HNSW_M = 32  # graph degree: recall@10 >= 0.95 at 100,000 rows (docs/benchmarks.md)
EF_CONSTRUCTION = 80
EF_SEARCH = 192
EXACT_CELLS = 2**26  # similarities formed at once by an exact search (256 MB)
OVERFETCH = 2  # graph neighbours fetched per candidate kept after exact re-scoring


class VectorIndex:
    """Nearest rows by inner product; `ids` maps rows to the article ids the graph stores."""

    def __init__(self, dims: int, *, exact_below: int = EXACT_BELOW):
        self.dims, self.exact_below = dims, exact_below
        self._graph: Any = None  # faiss.IndexIDMap over an IndexHNSWFlat, when built
        self._stored: Path | None = None  # a saved graph not read yet

    @property
    def has_graph(self) -> bool:
        """Whether there is a graph, read or still in its file (without reading it)."""
        return self._graph is not None or self._stored is not None

    @property
    def graph(self) -> Any:
        """The graph, read from its file the first time it is needed (ingestion never does)."""
        if self._stored is not None:
            self._graph, self._stored = faiss.read_index(str(self._stored)), None
        return self._graph

    @graph.setter
    def graph(self, value: Any) -> None:
        self._graph, self._stored = value, None

    def build(self, ids: np.ndarray, Z: np.ndarray) -> None:
        """Index every row (a graph only when there are enough of them)."""
        self.graph = None
        if len(ids) >= self.exact_below:
            self.graph = _new_graph(self.dims)
            self.graph.add_with_ids(np.ascontiguousarray(Z, np.float32), ids.astype(np.int64))

    def add(self, ids: np.ndarray, Z: np.ndarray, *, size: int) -> None:
        """Index new or changed vectors; `size` is the corpus size after the change. A changed
        article keeps its old entry too: it only ever adds a candidate that re-scoring judges."""
        if self.graph is None and size < self.exact_below:
            return
        if self.graph is None:
            raise ValueError("the corpus outgrew exact search: build the graph first")
        self.graph.add_with_ids(
            np.ascontiguousarray(Z.reshape(len(ids), -1), np.float32), ids.astype(np.int64)
        )

    def nearest_ids(self, Z: np.ndarray, count: int) -> np.ndarray:
        """The article ids of the `count` graph neighbours of each row of `Z` (-1 where the
        graph finds fewer); the caller judges them. Needs the graph."""
        return self._search(Z, count, ef_search=max(EF_SEARCH, count))

    def _search(self, Z: np.ndarray, count: int, *, ef_search: int) -> np.ndarray:
        # The search depth goes with each call, not set on the shared graph: a rebuild
        # searches it from two threads at once, with different depths. (faiss's stubs lack the
        # class.)
        params = faiss.SearchParametersHNSW(efSearch=ef_search)  # type: ignore[attr-defined]
        _, labels = self.graph.search(np.ascontiguousarray(Z, np.float32), count, params=params)
        return labels

    def candidates(
        self,
        Z: np.ndarray,
        block: np.ndarray,
        count: int,
        table: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each row in `block`: `count` other rows with the highest LSA similarity found,
        and those similarities computed exactly, as (rows, similarities) of shape
        (len(block), count). `table` is `row_table` of the rows' article ids."""
        if self.graph is None:
            return exact_candidates(Z, block, count)
        labels = self._search(
            Z[block], OVERFETCH * count + 1, ef_search=max(EF_SEARCH, OVERFETCH * count)
        )
        rows = table_rows(table, labels)
        valid = (rows >= 0) & (rows != block[:, None])
        cands = np.empty((len(block), count), np.int64)
        sims = np.empty((len(block), count), np.float32)
        short = []
        for i, row in enumerate(block):
            mine = np.unique(rows[i][valid[i]])
            if len(mine) < count:
                short.append(i)
                continue
            exact = Z[mine] @ Z[row]
            best = np.argpartition(-exact, count - 1)[:count]
            cands[i], sims[i] = mine[best], exact[best]
        if short:
            cands[short], sims[short] = exact_candidates(Z, block[short], count)
        return cands, sims

    def save(self, path: Path) -> None:
        if self.graph is not None:
            faiss.write_index(self.graph, str(path))

    def load(self, path: Path) -> None:
        self.graph = None
        if path.exists():
            self._stored = path


def _new_graph(dims: int) -> Any:
    graph = faiss.IndexHNSWFlat(dims, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = EF_CONSTRUCTION
    return faiss.IndexIDMap(graph)


def row_table(ids: np.ndarray) -> np.ndarray:
    """Article id -> row, as one dense array (-1 where no row has the id): graph labels become
    rows with one lookup instead of a binary search over every id (article ids are page ids,
    dense enough that the array is a few bytes per article)."""
    table = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, np.int64)
    table[ids] = np.arange(len(ids))
    return table


def table_rows(table: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The rows of `labels` (article ids) by `row_table`; -1 for an id with no row."""
    labels = np.asarray(labels, np.int64)
    known = (labels >= 0) & (labels < len(table))
    rows = np.full(labels.shape, -1, np.int64)
    rows[known] = table[labels[known]]
    return rows


def exact_candidates(Z: np.ndarray, block: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The `count` rows most similar to each row of `block` by exact matrix product, a few
    rows at a time (each row's products span the corpus)."""
    step = max(1, EXACT_CELLS // max(len(Z), 1))
    if len(block) > step:
        parts = [
            exact_candidates(Z, block[i : i + step], count) for i in range(0, len(block), step)
        ]
        return np.concatenate([c for c, _ in parts]), np.concatenate([s for _, s in parts])
    S = Z[block] @ Z.T
    S[np.arange(len(block)), block] = -np.inf
    cands = np.argpartition(-S, count - 1, axis=1)[:, :count]
    return cands, np.take_along_axis(S, cands, axis=1)


_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band of each signature (n x bands); equal bands give equal keys."""
    n = len(signatures)
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    keys = np.tile(np.arange(1, bands + 1, dtype=np.uint64), (n, 1))
    with np.errstate(over="ignore"):
        for r in range(rows):  # every band at once
            keys = (keys ^ sig[:, :, r]) * _MIX
            keys ^= keys >> np.uint64(29)
    return keys


def sharing_band(signatures: np.ndarray, signature: np.ndarray, *, bands: int, rows: int):
    """Rows of `signatures` sharing at least one band with `signature`, by a scan (few rows)."""
    if not len(signatures):
        return np.zeros(0, np.int64)
    keys = band_keys(signatures, bands, rows)
    return np.flatnonzero((keys == band_keys(signature.reshape(1, -1), bands, rows)[0]).any(1))


class SignatureBands:
    """Rows whose MinHash signature shares at least one band with a query signature."""

    def __init__(self, signatures: np.ndarray, *, bands: int, rows: int):
        self.bands, self.rows = bands, rows
        self.signatures = signatures
        # One contiguous row per band (a search in a strided column would copy it each time).
        keys = np.ascontiguousarray(band_keys(signatures, bands, rows).T)
        self.order = np.argsort(keys, axis=1, kind="stable")
        self.sorted = np.take_along_axis(keys, self.order, axis=1)

    def query(self, signature: np.ndarray) -> np.ndarray:
        """Rows sharing a band with `signature` (row numbers into `signatures`)."""
        if not len(self.signatures):
            return np.zeros(0, np.int64)
        return np.unique(np.concatenate(self.query_bands(signature)))

    def query_bands(self, signature: np.ndarray) -> list[np.ndarray]:
        """For each band in turn, the rows sharing it with `signature`, in row order."""
        key = band_keys(np.asarray(signature).reshape(1, -1), self.bands, self.rows)[0]
        found = []
        for b in range(self.bands):
            lo = np.searchsorted(self.sorted[b], key[b], side="left")
            hi = np.searchsorted(self.sorted[b], key[b], side="right")
            found.append(self.order[b, lo:hi])  # a stable sort: equal keys in row order
        return found

    def jaccard(self, signature: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Estimated Jaccard similarity of `signature` with the given rows' signatures."""
        return (self.signatures[rows] == signature).mean(axis=1)
