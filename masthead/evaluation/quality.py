"""Offline quality of story clusters and Related on labelled texts, with the engine the site runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

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


def document(t: Text) -> str:
    """The text the engine reads for a labelled item, shaped as the site's (title twice)."""
    return "\n".join([t.title, t.title, t.body])


# Sentence embeddings of texts, joined to the LSA rows as the engine does; None: LSA alone.
Embed = Callable[[Sequence[Text]], np.ndarray] | None


def vectors(
    texts: Sequence[Text], embed: Embed = None
) -> tuple[engine.Model, sp.csr_matrix, np.ndarray]:
    docs = [document(t) for t in texts]
    model = engine.model_fit(docs)
    X = model.sparse(docs)
    Z = model.dense(X)
    return model, X, Z if embed is None else engine.dense_join(Z, embed(texts))


def stories(texts: Sequence[Text], embed: Embed = None, **options) -> list[int]:
    """Story ids from the online clustering, fed in the given (time) order."""
    _, X, Z = vectors(texts, embed)
    return clustered(texts, X, Z, **options)


def clustered(texts, X, Z, **options) -> list[int]:
    """Each text's story once all are in (a later merge or regroup relabels earlier texts, as
    on the site)."""
    index = engine.StoryIndex(**options)
    for i, t in enumerate(texts):
        index.add(i, engine.minhash(document(t)), X[i], Z[i], t.published)
    return [index.story_of[i] for i in range(len(texts))]


def story_links(texts: Sequence[Text], X: sp.csr_matrix, Z: np.ndarray) -> list[engine.Link]:
    """Each text's closest earlier text, computed once for tuning the story bars."""
    index = engine.StoryIndex()
    links = []
    for i, t in enumerate(texts):
        signature = engine.minhash(document(t))
        links.append(index.nearest(i, signature, X[i], Z[i], t.published))
        index.restore(i, i, signature, X[i], Z[i], t.published)
    return links


def story_quality(texts: Sequence[Text], embed: Embed = None, **options) -> dict:
    predicted = stories(texts, embed, **options)
    gold = [t.group or f"own:{t.id}" for t in texts]
    p, r, f = bcubed(predicted, gold)
    return {
        "items": len(texts),
        "precision": p,
        "recall": r,
        "f1": f,
        "clusters": len(set(predicted)),
    }


def related_quality(
    texts: Sequence[Text],
    ks: Sequence[int] = (5, 10),
    embed: Embed = None,
    split: Callable[[Text], bool] | None = None,
    topics: bool = True,
    **story_options,
) -> dict:
    """Share of Related neighbours that share a label with the article (texts with labels only).
    With `split`, also the share over the articles it holds true for ("tuning part") and the
    others ("held-out part"); neighbours are always sought among all articles. `topics=False`
    scores without topic agreement (the engine before it, for comparison)."""
    texts = [t for t in texts if t.labels]
    model, X, Z = vectors(texts, embed)
    n = len(texts)
    published = np.array([t.published for t in texts])
    corpus = engine.untagged_corpus(
        X,
        Z,
        published,
        np.array(clustered(texts, X, Z, **story_options)),
        topics=model.topics if topics else None,
    )
    neighbours = engine.related_rows(corpus, range(n), keep=max(ks))
    out: dict[str, float] = {"items": n}
    for k in ks:
        hits = [
            np.mean([bool(texts[i].labels & texts[j].labels) for j, _ in items[:k]])
            for i, items in enumerate(neighbours.items)
            if items
        ]
        out[f"precision@{k}"] = float(np.mean(hits))
        if split is not None:
            tuned = [split(texts[i]) for i, items in enumerate(neighbours.items) if items]
            for part, wanted in (("tuning part", True), ("held-out part", False)):
                mine = [h for h, t in zip(hits, tuned, strict=True) if t == wanted]
                out[f"precision@{k}, {part}"] = float(np.mean(mine))
    return out
