"""Offline evaluation of Recommendation against baselines, replaying a click log in time order.

Every algorithm is a *source*: at each evaluated moment it scores the candidates using only what
happened before. Baselines are single sources; Masthead's sources come from the site's own scorer
(`discovery.recommend.recommend_sources`) and blend with `recommend.WEIGHTS`, as the site serves
them, so the evaluation measures the site's algorithm, not a stand-in.

Two protocols:
- next click (site or simulated log): at each view, rank every published article the reader has
  not read; HR@k, MRR@k, nDCG@k for the article actually read, catalogue coverage, mean age.
- impressions (MIND): rank the items actually shown; AUC, MRR, nDCG@5, nDCG@10 (MIND's own
  definitions), plus HR@k over the shown list.

Plain numpy over arrays; no Django.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from masthead.discovery import engine, recommend

TRENDING_HALF_LIFE = 6 * 3600.0  # the 24 h Ranking window's half-life
HISTORY_SIZE = recommend.HISTORY_SIZE
SESSION_GAP = 3600.0
BASELINES = ("random", "popular", "recent_popular", "cooccurrence", "item_knn", "content", "ctr")
# Tuning may also try click-through, which only logs of what was shown (MIND) can compute;
# the site's weights (`recommend.WEIGHTS`) never hold it.
MASTHEAD_SOURCES = (*recommend.SOURCES, "ctr", "recent_ctr")
CTR_PRIOR = 5  # impressions' worth of the average click-through an unseen item starts with
KS = (5, 10)


@dataclass
class Catalogue:
    """Items with what the sources may know about them."""

    ids: list  # external ids, index = position
    published: np.ndarray  # float seconds (first seen, for logs without dates)
    channel: list[str]  # "" when unknown
    texts: list[str] | None = None  # None: no content source

    def __post_init__(self):
        self.index = {item: i for i, item in enumerate(self.ids)}


@dataclass
class Event:
    time: float
    user: str
    item: int  # catalogue index (next-click) or -1 (impression)
    shown: list[int] = field(default_factory=list)
    clicked: set[int] = field(default_factory=set)
    history: list[int] = field(default_factory=list)  # earlier clicks given by the log


class Sources:
    """What every source knows, updated event by event."""

    def __init__(self, catalogue: Catalogue, *, seed: int = 0):
        n = len(catalogue.ids)
        self.catalogue = catalogue
        self.rng = np.random.default_rng(seed)
        self.popular = np.zeros(n)
        self.shown = np.zeros(n)
        self.clicks = np.zeros(n)
        self.recent_shown = np.zeros(n)  # scaled like `recent`
        self.recent_clicks = np.zeros(n)
        self.recent = np.zeros(n)  # decayed counts scaled by 2^(t/half-life) (no per-step decay)
        self.t0: float | None = None
        self.history: dict[str, list[int]] = defaultdict(list)
        self.last_seen: dict[str, float] = {}
        self.co: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.sessions_of: np.ndarray = np.zeros(n)
        self.session: dict[str, list[int]] = {}
        channels = sorted(set(catalogue.channel) - {""})
        self.channel_index = {c: i for i, c in enumerate(channels)}
        self.channel_of = np.array([self.channel_index.get(c, -1) for c in catalogue.channel])
        self.neighbours = _content_neighbours(catalogue) if catalogue.texts else None
        self.known_users: set[str] = set()

    # -- learning -----------------------------------------------------------------------
    def _growth(self, t: float) -> float:
        if self.t0 is None:
            self.t0 = t
        return 2.0 ** ((t - self.t0) / TRENDING_HALF_LIFE)

    def click(self, user: str, item: int, t: float) -> None:
        self.popular[item] += 1
        self.recent[item] += self._growth(t)
        gap = t - self.last_seen.get(user, -np.inf)
        session = self.session.get(user)
        if session is None or gap > SESSION_GAP:
            session = self.session[user] = []
        if item not in session:
            for other in session:
                self.co[item][other] += 1
                self.co[other][item] += 1
            self.sessions_of[item] += 1
            session.append(item)
        self.history[user].append(item)
        self.last_seen[user] = t

    def impression(self, shown: Sequence[int], clicked: set[int], t: float) -> None:
        growth = self._growth(t)
        for item in shown:
            self.shown[item] += 1
            self.recent_shown[item] += growth
        for item in clicked:
            self.clicks[item] += 1
            self.recent_clicks[item] += growth

    def past_history(self, user: str, items: Sequence[int]) -> None:
        """A log's record of what a reader clicked before it starts (MIND): one session."""
        if user in self.known_users:
            return
        self.known_users.add(user)
        seen: list[int] = []
        for item in dict.fromkeys(items):
            self.popular[item] += 1
            for other in seen[-HISTORY_SIZE:]:
                self.co[item][other] += 1
                self.co[other][item] += 1
            self.sessions_of[item] += 1
            seen.append(item)
        self.history[user] = seen + self.history[user]

    # -- scoring --------------------------------------------------------------------------
    def scores(self, user: str, t: float, cands: np.ndarray) -> dict[str, np.ndarray]:
        """Every source's scores for the candidate items at time t: the baselines here, and
        Masthead's sources from the site's own scorer (`recommend.recommend_sources`)."""
        history = self.history.get(user, [])[-recommend.HISTORY_SIZE :][::-1]
        growth = self._growth(t)
        rate = self.clicks.sum() / max(self.shown.sum(), 1)
        prior = CTR_PRIOR * growth  # the same prior, on the decayed scale
        out = {
            "recent_ctr": (self.recent_clicks[cands] + prior * rate)
            / (self.recent_shown[cands] + prior),
            "ctr": (self.clicks[cands] + CTR_PRIOR * rate) / (self.shown[cands] + CTR_PRIOR),
            "random": self.rng.random(len(cands)),
            "popular": self.popular[cands],
            "recent_popular": self.recent[cands] / growth,
        }
        cooc = np.zeros(len(cands))
        position = {int(c): i for i, c in enumerate(cands)}
        for h in history:
            for other, count in self.co.get(h, {}).items():
                i = position.get(other)
                if i is not None:
                    cooc[i] += count
        out["cooccurrence"] = cooc
        sources, _ = recommend.recommend_sources(self.signals(history, t, cands))
        for name in recommend.SOURCES:
            scores = sources.get(name, {})
            out[name] = np.array([scores.get(int(c), 0.0) for c in cands])
        out["item_knn"] = out["like"]
        return out

    def signals(self, history: list[int], t: float, cands: np.ndarray) -> recommend.Signals:
        """What the site's scorer reads, as known at time t (history most recent first)."""
        trend = self.recent[cands] / self._growth(t)
        reads = {h: self._read(h) for h in dict.fromkeys(history)}
        channels = Counter(self.catalogue.channel[h] for h in history if self.catalogue.channel[h])
        channel_trending = {}
        for channel, _ in channels.most_common(recommend.TOP_CHANNELS):
            code = self.channel_index[channel]
            mask = self.channel_of[cands] == code
            channel_trending[channel] = dict(
                zip(cands[mask].tolist(), trend[mask].tolist(), strict=True)
            )
        return recommend.Signals(
            now=t,
            published=dict(
                zip(cands.tolist(), self.catalogue.published[cands].tolist(), strict=True)
            ),
            trending=dict(zip(cands.tolist(), trend.tolist(), strict=True)),
            channel_trending=channel_trending,
            history=[reads[h] for h in history],
        )

    def _read(self, h: int) -> recommend.Read:
        like = [
            (other, count / np.sqrt(self.sessions_of[h] * self.sessions_of[other]))
            for other, count in self.co.get(h, {}).items()
        ]
        content: list[tuple[int, float]] = []
        if self.neighbours is not None:
            start, end = self.neighbours.indptr[h], self.neighbours.indptr[h + 1]
            content = list(
                zip(
                    self.neighbours.indices[start:end].tolist(),
                    self.neighbours.data[start:end].tolist(),
                    strict=True,
                )
            )
        return recommend.Read(h, self.catalogue.channel[h], like, content)


def _content_neighbours(catalogue: Catalogue) -> sp.csr_matrix:
    """Each item's Related neighbours (the engine's own lists) as a sparse item x item matrix."""
    assert catalogue.texts is not None  # called only for catalogues with texts
    model = engine.model_fit(catalogue.texts)
    X = model.sparse(catalogue.texts)
    n = len(catalogue.ids)
    lists = engine.related_rows(
        engine.untagged_corpus(X, model.dense(X), catalogue.published, topics=model.topics),
        range(n),
    )
    rows = [i for i, items in enumerate(lists.items) for _ in items]
    cols = [j for items in lists.items for j, _ in items]
    data = [max(s, 0.0) for items in lists.items for _, s in items]
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


def blend_arrays(scores: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """`recommend.blend` over arrays: each source scaled so its best candidate scores 1."""
    total = np.zeros(len(next(iter(scores.values()))))
    for name, w in weights.items():
        s = scores.get(name)
        if not w or s is None:
            continue
        top = s.max(initial=0)
        if top > 0:
            total += w * s / top
    return total


# -- metrics ------------------------------------------------------------------------------
def _ranks(score: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """1-based rank of each candidate, best first; ties broken by a fixed random order."""
    order = np.lexsort((tiebreak, -score))
    ranks = np.empty(len(score), np.int64)
    ranks[order] = np.arange(1, len(score) + 1)
    return ranks


def impression_metrics(score: np.ndarray, labels: np.ndarray, tiebreak: np.ndarray) -> dict:
    """MIND's AUC, MRR and nDCG@5/10 for one impression."""
    ranks = _ranks(score, tiebreak)
    order = np.argsort(ranks)
    y = labels[order]
    positives, negatives = labels.sum(), len(labels) - labels.sum()
    # AUC: the share of (clicked, not clicked) pairs ranked the right way round.
    wrong = np.cumsum(1 - y)[y == 1].sum()
    out = {"auc": 1 - wrong / (positives * negatives) if positives and negatives else np.nan}
    out["mrr"] = float((y / np.arange(1, len(y) + 1)).sum() / max(y.sum(), 1))
    for k in KS:
        gains = y[:k] / np.log2(np.arange(2, min(k, len(y)) + 2))
        ideal = np.sort(labels)[::-1][:k] / np.log2(np.arange(2, min(k, len(y)) + 2))
        out[f"ndcg@{k}"] = float(gains.sum() / ideal.sum()) if ideal.sum() else 0.0
        out[f"hr@{k}"] = float(y[:k].max(initial=0))
    return out


def next_click_metrics(rank: int) -> dict:
    out = {}
    for k in KS:
        hit = rank <= k
        out[f"hr@{k}"] = float(hit)
        out[f"mrr@{k}"] = 1.0 / rank if hit else 0.0
        out[f"ndcg@{k}"] = 1.0 / np.log2(rank + 1) if hit else 0.0
    return out


# -- replay -------------------------------------------------------------------------------
@dataclass
class Moment:
    """One evaluated moment: candidates, every source's scores, and the truth."""

    time: float
    cands: np.ndarray
    scores: dict[str, np.ndarray]
    labels: np.ndarray  # 1 for the clicked candidate(s)
    tiebreak: np.ndarray
    impression: bool  # candidates are the items shown, not the whole catalogue


def replay(
    catalogue: Catalogue,
    events: Sequence[Event],
    *,
    warmup: float = 0.2,
    max_moments: int = 3000,
    seed: int = 0,
) -> list[Moment]:
    """Walk the log in time order; score at each click (after the warm-up share of the log)."""
    sources = Sources(catalogue, seed=seed)
    rng = np.random.default_rng(seed + 1)
    n = len(catalogue.ids)
    tiebreak_all = rng.permutation(n)
    evaluated = [i for i in range(int(len(events) * warmup), len(events))]
    if len(evaluated) > max_moments:
        evaluated = sorted(rng.choice(evaluated, max_moments, replace=False).tolist())
    evaluate = set(evaluated)
    order = np.argsort(catalogue.published, kind="stable")
    published_sorted = catalogue.published[order]
    moments = []
    for position, event in enumerate(events):
        if event.history:
            sources.past_history(event.user, event.history)
        if position in evaluate:
            if event.shown:
                cands = np.asarray(event.shown)
                labels = np.isin(cands, list(event.clicked)).astype(float)
            else:
                available = order[: np.searchsorted(published_sorted, event.time, side="right")]
                read = set(sources.history.get(event.user, []))
                cands = np.array([c for c in available if c not in read], dtype=np.int64)
                labels = (cands == event.item).astype(float)
            if len(cands) and labels.any():
                moments.append(
                    Moment(
                        event.time,
                        cands,
                        sources.scores(event.user, event.time, cands),
                        labels,
                        tiebreak_all[cands],
                        bool(event.shown),
                    )
                )
        if event.shown:
            sources.impression(event.shown, event.clicked, event.time)
            for item in sorted(event.clicked):
                sources.click(event.user, item, event.time)
        else:
            sources.click(event.user, event.item, event.time)
    return moments


def evaluate(
    catalogue: Catalogue, moments: Sequence[Moment], algorithms: dict[str, Callable]
) -> dict[str, dict[str, float]]:
    """Mean metrics per algorithm; an algorithm maps a moment's source scores to one score."""
    table = {}
    for name, algorithm in algorithms.items():
        rows = []
        recommended: set[int] = set()
        ages = []
        for m in moments:
            score = algorithm(m.scores)
            if m.impression:
                rows.append(impression_metrics(score, m.labels, m.tiebreak))
            else:
                ranks = _ranks(score, m.tiebreak)
                rows.append(next_click_metrics(int(ranks[m.labels.argmax()])))
            top = m.cands[np.argsort(_ranks(score, m.tiebreak))[:10]]
            recommended.update(top.tolist())
            ages.append(float(np.mean(m.time - catalogue.published[top])) / 3600)
        result = {key: float(np.nanmean([r[key] for r in rows])) for key in rows[0]} if rows else {}
        result["coverage"] = len(recommended) / max(len(catalogue.ids), 1)
        result["age_hours"] = float(np.mean(ages)) if ages else 0.0
        table[name] = result
    return table


def algorithms(weights: dict[str, float]) -> dict[str, Callable]:
    """The baselines, Masthead's blend, and the blend without each of its sources (ablation)."""
    out: dict[str, Callable] = {name: (lambda s, n=name: s[n]) for name in BASELINES}
    out["masthead"] = lambda s: blend_arrays(s, weights)
    for source in MASTHEAD_SOURCES:
        if weights.get(source):
            reduced = {k: v for k, v in weights.items() if k != source}
            out[f"masthead - {source}"] = lambda s, w=reduced: blend_arrays(s, w)
    return out


def tune(
    catalogue: Catalogue, moments: Sequence[Moment], weights: dict[str, float], *, metric: str
) -> dict[str, float]:
    """Coordinate ascent on the blend's weights over `moments` (use a split you do not report)."""
    grid = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
    best = dict(weights)

    def score(w):
        return evaluate(catalogue, moments, {"x": lambda s: blend_arrays(s, w)})["x"][metric]

    best_value = score(best)
    for _ in range(2):
        for source in MASTHEAD_SOURCES:
            for value in grid:
                trial = {**best, source: value}
                v = score(trial)
                if v > best_value + 1e-9:
                    best, best_value = trial, v
    return best
