"""Offline quality of story clusters and Related on labelled texts, with the engine the site runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from masthead.discovery import engine
from masthead.evaluation.datasets import Text


def bcubed(predicted: Sequence, gold: Sequence) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering against gold clusters."""
    by_pred, by_gold = defaultdict(set), defaultdict(set)
    for i, (p, g) in enumerate(zip(predicted, gold, strict=True)):
        by_pred[p].add(i)
        by_gold[g].add(i)
    precision = recall = 0.0
    for p, g in zip(predicted, gold, strict=True):
        shared = len(by_pred[p] & by_gold[g])
        precision += shared / len(by_pred[p])
        recall += shared / len(by_gold[g])
    n = max(len(gold), 1)
    precision, recall = precision / n, recall / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _text(t: Text) -> str:
    return "\n".join([t.title, t.title, t.body])


def vectors(texts: Sequence[Text]) -> tuple[engine.Model, sp.csr_matrix, np.ndarray]:
    docs = [_text(t) for t in texts]
    model = engine.model_fit(docs)
    X = model.sparse(docs)
    return model, X, model.dense(X)


def stories(texts: Sequence[Text], **options) -> list[int]:
    """Story ids from the online clustering, fed in the given (time) order."""
    _, X, Z = vectors(texts)
    return _clustered(texts, X, Z, **options)


def _clustered(texts, X, Z, **options) -> list[int]:
    index = engine.StoryIndex(**options)
    return [
        index.add(i, engine.minhash(_text(t)), X[i], Z[i], t.published)[0]
        for i, t in enumerate(texts)
    ]


def story_quality(texts: Sequence[Text], **options) -> dict:
    predicted = stories(texts, **options)
    gold = [t.group or f"own:{t.id}" for t in texts]
    p, r, f = bcubed(predicted, gold)
    return {
        "items": len(texts),
        "precision": p,
        "recall": r,
        "f1": f,
        "clusters": len(set(predicted)),
    }


def related_quality(texts: Sequence[Text], ks: Sequence[int] = (5, 10)) -> dict:
    """Share of Related neighbours that share a label with the article (texts with labels only)."""
    texts = [t for t in texts if t.labels]
    _, X, Z = vectors(texts)
    n = len(texts)
    published = np.array([t.published for t in texts])
    corpus = engine.untagged_corpus(X, Z, published, np.array(_clustered(texts, X, Z)))
    neighbours = engine.related_rows(corpus, range(n), keep=max(ks))
    out: dict[str, float] = {"items": n}
    for k in ks:
        hits = [
            np.mean([bool(texts[i].labels & texts[j].labels) for j, _ in items[:k]])
            for i, items in enumerate(neighbours.items)
            if items
        ]
        out[f"precision@{k}"] = float(np.mean(hits))
    return out
