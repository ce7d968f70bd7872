"""The screening model: logistic regression over `signals.FEATURES`, trained on the generator.

The weights ship in `weights.json` beside this module, written by
`python -m masthead.ingest.screening.model` (scikit-learn, deterministic: fixed generator seeds,
lbfgs). Shipping them keeps start-up instant and the model reviewable in a diff; a test retrains
and checks the shipped file is what the current code and generator produce.
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
# Held at or above this probability: above 0.5 to leave a margin for clean text, whose share of
# unknown names and typos is larger in real news than in the generator.
THRESHOLD = 0.7
REASONS = {
    "title": "keyword injected in front of the title: {!r}",
    "glued": "keyword glued into the text: {!r}",
    "stuffing": "keyword stuffing: {}",
    "navigation": "site navigation scraped with the text: {}",
    "links": "mostly links: {}",
}


@dataclass(frozen=True)
class Weights:
    coefficients: dict[str, float]
    intercept: float
    threshold: float


@dataclass(frozen=True)
class Verdict:
    probability: float
    reason: str  # "" when the item is not held

    @property
    def held(self) -> bool:
        return bool(self.reason)


@functools.cache
def shipped() -> Weights:
    data = json.loads(WEIGHTS.read_text())
    return Weights(data["coefficients"], data["intercept"], data["threshold"])


class Screener:
    """Screens items against one vocabulary (the site's), with the shipped weights."""

    def __init__(self, known: Callable[[str], bool] | None = None, weights: Weights | None = None):
        self.lexicon = Lexicon(known)
        self.weights = weights or shipped()

    def verdict(self, *, title: str, text: str, raw_html: str = "") -> Verdict:
        found = signals.extract(title=title, text=text, raw_html=raw_html, lexicon=self.lexicon)
        score = self.weights.intercept + sum(
            self.weights.coefficients[name] * found.values[name] for name in signals.FEATURES
        )
        probability = 1 / (1 + math.exp(-score))
        if probability < self.weights.threshold:
            return Verdict(probability, "")
        return Verdict(probability, _reason(found, self.weights))


KEYWORD_GROUPS = ("title", "glued", "stuffing")  # groups whose evidence is the keyword itself


def _reason(found: signals.Signals, weights: Weights) -> str:
    """The groups that pushed the score up, each with its evidence: those that name a keyword
    first (what an editor searches for), then the others, strongest first within each."""
    contributions = []
    for group, prefix in signals.GROUPS.items():
        total = sum(
            weights.coefficients[name] * value
            for name, value in found.values.items()
            if name.startswith(prefix)
        )
        if total > 2.0 and group in found.evidence:
            contributions.append((group not in KEYWORD_GROUPS, -total, group))
    contributions.sort()
    parts = [REASONS[g].format(found.evidence[g]) for _, _, g in contributions[:4]]
    return "; ".join(parts)[:255] or "content-farm signals together"


def features(examples: list[Example], lexicon: Lexicon) -> list[list[float]]:
    rows = []
    for ex in examples:
        found = signals.extract(title=ex.title, text=ex.text, raw_html=ex.raw_html, lexicon=lexicon)
        rows.append([found.values[name] for name in signals.FEATURES])
    return rows


def train(n: int = TRAIN_ITEMS) -> Weights:
    """Fit on the generator's train split; the threshold keeps a margin for clean text."""
    from sklearn.linear_model import LogisticRegression

    examples, vocabulary = split("train", n)
    X = features(examples, Lexicon(vocabulary.__contains__))
    y = [int(ex.is_spam) for ex in examples]
    fit = LogisticRegression(C=10.0, max_iter=2000, class_weight={0: 3.0, 1: 1.0}).fit(X, y)
    return Weights(
        {name: round(float(c), 6) for name, c in zip(signals.FEATURES, fit.coef_[0], strict=True)},
        round(float(fit.intercept_[0]), 6),
        THRESHOLD,
    )


def main() -> None:
    weights = train()
    WEIGHTS.write_text(
        json.dumps(
            {
                "coefficients": weights.coefficients,
                "intercept": weights.intercept,
                "threshold": weights.threshold,
            },  # fmt: skip
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {WEIGHTS}")


if __name__ == "__main__":
    main()
