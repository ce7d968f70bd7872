"""Story clustering as the corpus grows: the window scan against HNSW candidates, same run.

    python bench/story_clustering.py [--sizes 10000,20000,40000] [--seed 3] [--search 64]

For each size, a demo corpus (masthead.demo.corpus, 42 days of publication, held out from the
tuning of the story bars: seed 3 by default) is clustered twice in publication order with
`engine.StoryIndex`: comparing each article with every earlier article in its 3-day window (the
exact path, below ann.EXACT_BELOW), and with its `--search` nearest rows of an HNSW graph in that
window (`services.STORY_SEARCH` in a rebuild) (a rebuild's path above it). Prints per-article clustering time of each
(the graph's build and search counted), their ratio, and how far the two partitions agree
(adjusted Rand index, and the share of articles whose story holds exactly the same members).
No database: text model, vectors and signatures are computed in process.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
from sklearn.metrics import adjusted_rand_score

from masthead.demo.corpus import CorpusGenerator
from masthead.discovery import ann, engine

CHUNK = 2000


def corpus(size: int, seed: int):
    articles = list(CorpusGenerator(seed=seed, now=datetime(2026, 6, 1, tzinfo=UTC)).articles(size))
    articles.sort(key=lambda a: a.published_at)
    texts = [
        "\n".join([a.title, a.title, a.dek, *a.paragraphs, " ".join(a.tags)]) for a in articles
    ]
    model = engine.model_fit(texts)
    X, Z = model.vectors(texts)
    signatures = [engine.minhash(t) for t in texts]
    published = np.array([a.published_at.timestamp() for a in articles])
    return X, Z, signatures, published


def cluster(X, Z, signatures, published, *, search: int) -> tuple[np.ndarray, float]:
    """Stories in publication order: window scan when `search` is 0, else graph candidates."""
    started = time.perf_counter()
    index = engine.StoryIndex()
    ids = np.arange(len(published), dtype=np.int64)
    vectors = None
    if search:
        vectors = ann.VectorIndex(Z.shape[1], exact_below=0)
        vectors.build(ids, Z)
    stories = np.empty(len(published), np.int64)
    for start in range(0, len(published), CHUNK):
        end = min(start + CHUNK, len(published))
        near = vectors.nearest_ids(Z[start:end], search) if vectors else None
        for i in range(start, end):
            candidates = None if near is None else near[i - start]
            stories[i] = index.add(
                int(ids[i]), signatures[i], X[i], Z[i], float(published[i]), candidates
            )[0]
    return stories, time.perf_counter() - started


def same_members(a: np.ndarray, b: np.ndarray) -> float:
    def groups(labels):
        members: dict[int, list[int]] = {}
        for row, label in enumerate(labels):
            members.setdefault(int(label), []).append(row)
        return {row: tuple(members[int(label)]) for row, label in enumerate(labels)}

    ga, gb = groups(a), groups(b)
    return sum(ga[row] == gb[row] for row in ga) / len(ga)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,20000,40000")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--search", type=int, default=64, help="graph neighbours per article")
    args = parser.parse_args()
    print("| articles | window scan ms/article | graph candidates ms/article | ratio |", end="")
    print(" adjusted Rand | same story members |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        X, Z, signatures, published = corpus(size, args.seed)
        scanned, scan_s = cluster(X, Z, signatures, published, search=0)
        searched, graph_s = cluster(X, Z, signatures, published, search=args.search)
        print(
            f"| {size:,} | {scan_s * 1000 / size:.2f} | {graph_s * 1000 / size:.2f} | "
            f"{scan_s / graph_s:.2f}x | {adjusted_rand_score(scanned, searched):.4f} | "
            f"{same_members(scanned, searched):.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
