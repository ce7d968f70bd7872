"""Related candidates from the HNSW graph: exact below the size where it pays, close above."""

import numpy as np

from masthead.discovery import ann


def clustered(n: int, dims: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 20, dims))
    Z = centres[rng.integers(0, len(centres), n)] + 0.4 * rng.normal(size=(n, dims))
    return (Z / np.linalg.norm(Z, axis=1, keepdims=True)).astype(np.float32)


def test_a_small_corpus_is_searched_exactly():
    Z = clustered(500)
    ids = np.arange(1000, 1500)
    index = ann.VectorIndex(32, exact_below=1000)
    index.build(ids, Z)
    assert index.graph is None
    block = np.arange(0, 500, 7)
    got = index.candidates(Z, block, 10, ann.row_table(ids))
    want = ann.exact_candidates(Z, block, 10)
    assert np.array_equal(np.sort(got[0], axis=1), np.sort(want[0], axis=1))
    assert np.allclose(np.sort(got[1], axis=1), np.sort(want[1], axis=1))


def test_the_graph_finds_nearly_every_exact_neighbour_and_scores_them_exactly():
    Z = clustered(4000)
    ids = np.arange(4000) * 3 + 7
    index = ann.VectorIndex(32, exact_below=1000)
    index.build(ids, Z)
    assert index.graph is not None
    block = np.arange(0, 4000, 13)
    cands, sims = index.candidates(Z, block, 10, ann.row_table(ids))
    exact, _ = ann.exact_candidates(Z, block, 10)
    recall = np.mean([len(set(c) & set(e)) / 10 for c, e in zip(cands, exact, strict=True)])
    assert recall >= 0.95
    assert np.allclose(sims, np.einsum("ij,ikj->ik", Z[block], Z[cands]), atol=1e-5)
    assert not np.any(cands == block[:, None])


def test_rows_the_graph_leaves_short_fall_back_to_exact_search():
    Z = clustered(1200)
    ids = np.arange(1200)
    index = ann.VectorIndex(32, exact_below=1000)
    index.build(ids[:1000], Z[:1000])  # the last 200 rows are unknown to the graph
    dropped = np.arange(200)
    alive = np.setdiff1d(ids, dropped)  # and 200 it knows are gone
    Zs = Z[alive]
    block = np.arange(len(alive))[::50]
    cands, sims = index.candidates(Zs, block, 50, ann.row_table(alive))
    assert set(alive[cands.ravel()].tolist()).isdisjoint(dropped.tolist())
    assert np.allclose(sims, np.einsum("ij,ikj->ik", Zs[block], Zs[cands]), atol=1e-5)


def test_the_row_table_maps_article_ids_to_rows_and_unknown_ids_to_none():
    ids = np.array([40, 7, 12, 99])
    table = ann.row_table(ids)
    labels = np.array([[12, 99, -1], [7, 100, 40], [5, 1000, 7]])
    assert ann.table_rows(table, labels).tolist() == [[2, 3, -1], [1, -1, 0], [-1, -1, 1]]
    assert ann.table_rows(ann.row_table(np.zeros(0, np.int64)), labels).tolist() == [[-1] * 3] * 3


def test_banded_signatures_find_what_shares_a_band():
    rng = np.random.default_rng(1)
    signatures = rng.integers(0, 2**32, size=(300, 64), dtype=np.uint64).astype(np.uint32)
    bands = ann.SignatureBands(signatures, bands=8, rows=8)
    query = signatures[17].copy()
    query[8:] = 0  # only the first band is shared
    assert 17 in bands.query(query).tolist()
    assert bands.jaccard(signatures[17], np.array([17]))[0] == 1.0
    assert bands.query(np.zeros(64, np.uint32)).tolist() == []
