"""Recall@10 of Related with HNSW candidates against exact search, on the demo corpus.

    nice -n 10 python bench/ann_recall.py [--articles 100000] [--sample 500]

Builds N synthetic articles (masthead.demo.corpus, one year), fits the text model, and for a
sample of articles computes the final Related lists (re-scored, one per story) twice: with
candidates from the HNSW graph and from exact search. Prints recall@10 of the lists, recall of
the 50 LSA candidates, and the time of each path per article.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
os.environ.setdefault("DEBUG", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=500)
    args = parser.parse_args()
    import django

    django.setup()
    from datetime import UTC, datetime

    import numpy as np
    import scipy.sparse as sp

    from masthead.demo.corpus import CorpusGenerator
    from masthead.discovery import ann, engine
    from masthead.discovery.services import document

    started = time.perf_counter()
    generator = CorpusGenerator(seed=1, now=datetime(2026, 1, 1, tzinfo=UTC), days=365)
    articles = sorted(generator.articles(args.articles), key=lambda a: a.published_at)
    texts = [
        document(title=a.title, dek=a.dek, body=" ".join(a.paragraphs), tags=a.tags)
        for a in articles
    ]
    published = np.array([a.published_at.timestamp() for a in articles])
    model = engine.model_fit(texts)
    X = model.sparse(texts)
    Z = model.dense(X)
    corpus = engine.untagged_corpus(X, Z, published)
    corpus.tags = sp.csr_matrix((len(texts), 0), dtype=np.float32)
    prepared = time.perf_counter() - started
    started = time.perf_counter()
    index = ann.VectorIndex(Z.shape[1], exact_below=0)
    index.build(corpus.ids, Z)
    built = time.perf_counter() - started
    table = ann.row_table(corpus.ids)
    rows = np.sort(np.random.default_rng(3).choice(len(texts), args.sample, replace=False))
    started = time.perf_counter()
    approximate = engine.related_rows(
        corpus, rows, candidates=lambda b, c: index.candidates(Z, b, c, table)
    )
    ann_s = time.perf_counter() - started
    started = time.perf_counter()
    exact = engine.related_rows(corpus, rows)
    exact_s = time.perf_counter() - started
    lists = np.mean(
        [
            len({j for j, _ in a[:10]} & {j for j, _ in e[:10]}) / max(1, min(10, len(e)))
            for a, e in zip(approximate.items, exact.items, strict=True)
        ]
    )
    cand_a, _ = index.candidates(Z, rows, engine.CANDIDATES, table)
    cand_e, _ = ann.exact_candidates(Z, rows, engine.CANDIDATES)
    candidates = np.mean(
        [len(set(a) & set(e)) / engine.CANDIDATES for a, e in zip(cand_a, cand_e, strict=True)]
    )
    print(f"| articles | {args.articles:,} |")
    print("|---|---:|")
    print(f"| Related recall@10 (final lists, {args.sample} articles) | {lists:.3f} |")
    print(f"| LSA candidate recall@{engine.CANDIDATES} | {candidates:.3f} |")
    print(f"| corpus and model, s | {prepared:.0f} |")
    print(f"| HNSW graph build, s | {built:.1f} |")
    print(
        f"| Related per article, HNSW / exact, ms | {1000 * ann_s / len(rows):.1f} / {1000 * exact_s / len(rows):.1f} |"
    )


if __name__ == "__main__":
    main()
