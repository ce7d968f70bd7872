"""The screening model: one small logistic regression per pattern group over that group's
signals (`signals.GROUPS`), trained on the generator; an item is held when any group is sure.

One model per group keeps each pattern's evidence apart: a fused token cannot be outweighed by
the lack of navigation, and the reason names exactly the groups that held the item. The weights
ship in `weights.json` beside this module, written by `python -m masthead.ingest.screening.model`
(scikit-learn, deterministic: fixed generator seeds, lbfgs). Shipping them keeps start-up instant
and the model reviewable in a diff; a test retrains and checks the shipped file is what the
current code and generator produce.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from masthead.ingest.screening import signals
from masthead.ingest.screening.generator import Example, split
from masthead.ingest.screening.lexicon import Lexicon

WEIGHTS = Path(__file__).with_name("weights.json")
TRAIN_ITEMS = 4800
C = 100.0  # weak regularisation: each group's patterns are separable, the margin matters
# Held at or above this probability: above 0.5 to leave a margin for clean text, whose share of
# unknown names and typos is larger in real news than in the generator.
THRESHOLD = 0.7
# The generator's patterns each group learns to hold (a portal page carries three at once).
POSITIVES = {
    "title": ("title", "portal"),
    "glued": ("glued", "portal"),
    "stuffing": ("stuffing",),
    "navigation": ("navigation", "portal"),
    "links": ("links",),
}
REASONS = {
    "title": "keyword injected in front of the title: {!r}",
    "glued": "keyword glued into the text: {!r}",
    "stuffing": "keyword stuffing: {}",
    "navigation": "site navigation scraped with the text: {}",
    "links": "mostly links: {}",
}
KEYWORD_GROUPS = ("title", "glued", "stuffing")  # groups whose evidence is the keyword itself


def group_features(group: str) -> tuple[str, ...]:
    """The signals one group's model reads: its own, and the item's length."""
    return ("length", *(n for n in signals.FEATURES if n.startswith(signals.GROUPS[group])))


@dataclass(frozen=True)
class GroupWeights:
    coefficients: dict[str, float]
    intercept: float

    def probability(self, values: dict[str, float]) -> float:
        score = self.intercept + sum(c * values[n] for n, c in self.coefficients.items())
        return 1 / (1 + math.exp(-max(min(score, 50.0), -50.0)))


@dataclass(frozen=True)
class Weights:
    groups: dict[str, GroupWeights]
    threshold: float

    def as_json(self) -> str:
        data = {
            "groups": {
                g: {"coefficients": w.coefficients, "intercept": w.intercept}
                for g, w in self.groups.items()
            },
            "threshold": self.threshold,
        }
        return json.dumps(data, indent=1) + "\n"


@dataclass(frozen=True)
class Verdict:
    probability: float  # the surest group's
    reason: str  # "" when the item is not held

    @property
    def held(self) -> bool:
        return bool(self.reason)


@functools.cache
def shipped() -> Weights:
    data = json.loads(WEIGHTS.read_text())
    return Weights(
        {g: GroupWeights(w["coefficients"], w["intercept"]) for g, w in data["groups"].items()},
        data["threshold"],
    )


class Screener:
    """Screens items against one vocabulary (the site's), with the shipped weights."""

    def __init__(self, known: Callable[[str], bool] | None = None, weights: Weights | None = None):
        self.lexicon = Lexicon(known)
        self.weights = weights or shipped()

    def verdict(self, *, title: str, text: str, raw_html: str = "") -> Verdict:
        found = signals.extract(title=title, text=text, raw_html=raw_html, lexicon=self.lexicon)
        sure = {g: w.probability(found.values) for g, w in self.weights.groups.items()}
        held = [g for g, p in sure.items() if p >= self.weights.threshold]
        return Verdict(max(sure.values()), _reason(found, held, sure))


def _reason(found: signals.Signals, held: list[str], sure: dict[str, float]) -> str:
    """The groups that held the item, each with its evidence: those that name a keyword first
    (what an editor searches for), then the others, surest first within each."""
    order = sorted(held, key=lambda g: (g not in KEYWORD_GROUPS, -sure[g]))
    parts = [REASONS[g].format(found.evidence[g]) for g in order if g in found.evidence]
    if held and not parts:
        return "content-farm signals together"
    return "; ".join(parts)[:255]


def features(examples: list[Example], lexicon: Lexicon) -> list[dict[str, float]]:
    return [
        signals.extract(title=ex.title, text=ex.text, raw_html=ex.raw_html, lexicon=lexicon).values
        for ex in examples
    ]


def train(n: int = TRAIN_ITEMS) -> Weights:
    """Fit each group on the generator's train split: its patterns against the clean items."""
    from sklearn.linear_model import LogisticRegression

    examples, vocabulary = split("train", n)
    rows = features(examples, Lexicon(vocabulary.__contains__))
    groups = {}
    for group, patterns in POSITIVES.items():
        names = group_features(group)
        chosen = [i for i, ex in enumerate(examples) if ex.pattern in ("clean", *patterns)]
        X = [[rows[i][name] for name in names] for i in chosen]
        y = [int(examples[i].is_spam) for i in chosen]
        fit = LogisticRegression(C=C, max_iter=5000, class_weight={0: 3.0, 1: 1.0}).fit(X, y)
        groups[group] = GroupWeights(
            {n: round(float(c), 6) for n, c in zip(names, fit.coef_[0], strict=True)},
            round(float(fit.intercept_[0]), 6),
        )
    return Weights(groups, THRESHOLD)


def main() -> None:
    WEIGHTS.write_text(train().as_json())
    print(f"wrote {WEIGHTS}")


if __name__ == "__main__":
    main()
