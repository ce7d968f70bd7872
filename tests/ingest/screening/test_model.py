"""The screening model: shipped weights, recall per pattern on the test split, reasons."""

import pytest

from masthead.ingest.screening import model
from masthead.ingest.screening.generator import PATTERNS, REAL_KEYWORDS, split
from masthead.ingest.screening.model import Screener

# Measured recall on the test split with the shipped weights (docs/ingestion.md); the floor sits
# a little under each so a change that loses a pattern fails here. Glued keywords fall short of
# the 0.95 aim (0.940 on the 3,000-item split, 0.920 on this 1,200-item one): a made-up piece
# fused once onto the first word of a sentence ("Kukuzodebt dropped") reads like a brand
# ("Zanvorbank reported"), and a word of the language glued once after a name or "in" ("Israel
# Cryptoand") like a lost space.
RECALL_FLOOR = {
    "title": 0.95,
    "glued": 0.90,
    "stuffing": 0.95,
    "navigation": 0.95,
    "links": 0.95,
    "portal": 0.95,
}


@pytest.fixture(scope="module")
def test_split():
    examples, vocabulary = split("test", 1200)
    screener = Screener(vocabulary.__contains__)
    return [
        (ex, screener.verdict(title=ex.title, text=ex.text, raw_html=ex.raw_html))
        for ex in examples
    ]


def test_the_shipped_weights_are_what_training_on_the_generator_gives():
    trained = model.train()
    shipped = model.shipped()
    assert trained.threshold == shipped.threshold
    assert trained.groups.keys() == shipped.groups.keys()
    for group, weights in trained.groups.items():
        assert weights.intercept == pytest.approx(shipped.groups[group].intercept, abs=1e-3)
        assert weights.coefficients.keys() == shipped.groups[group].coefficients.keys()
        for name, value in weights.coefficients.items():
            expected = shipped.groups[group].coefficients[name]
            assert value == pytest.approx(expected, abs=1e-3), (group, name)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_pattern_is_held_on_the_test_split(test_split, pattern):
    verdicts = [v for ex, v in test_split if ex.pattern == pattern]
    recall = sum(v.held for v in verdicts) / len(verdicts)
    assert recall >= RECALL_FLOOR[pattern], recall


def test_clean_items_of_the_test_split_are_almost_never_held(test_split):
    verdicts = [v for ex, v in test_split if ex.pattern == "clean"]
    assert sum(v.held for v in verdicts) / len(verdicts) <= 0.01


def test_a_held_injected_item_names_its_keyword(test_split):
    held = [(ex, v) for ex, v in test_split if ex.pattern in ("title", "portal") and v.held]
    named = sum(ex.keyword in v.reason for ex, v in held)
    assert named / len(held) >= 0.95


def test_the_train_and_test_splits_share_no_made_up_keyword():
    def made_up(examples):
        return {e.keyword for e in examples if e.keyword and e.keyword.lower() not in REAL_KEYWORDS}

    assert not made_up(split("train", 600)[0]) & made_up(split("test", 600)[0])


@pytest.mark.parametrize(
    "title,text",
    [
        (  # a surname five times, in the title too: a name, not a glued keyword
            "Okonkwo-Baptiste leads the count",
            "Okonkwo-Baptiste said the count was close. Supporters of Okonkwo-Baptiste gathered. "
            "Okonkwo-Baptiste thanked them. Rivals of Okonkwo-Baptiste conceded. "
            "Okonkwo-Baptiste will be sworn in on Friday.",
        ),
        (
            "Kristersson wins confidence vote",
            "Ulf Kristersson won the vote on Tuesday. Kristersson said the coalition would hold. "
            "Critics of Kristersson said the margin was thin. Kristersson thanked parliament. "
            "Kristersson travels to Brussels next week.",
        ),
        (  # a hyphenated country pair
            "Armenia-Azerbaijan talks resume in Geneva",
            "Negotiators from Armenia and Azerbaijan resumed talks in Geneva on Monday.",
        ),
        ("Coca-Cola raises prices in Europe", "Coca-Cola said on Monday it would raise prices."),
    ],
)
def test_ordinary_names_are_not_held(title, text):
    assert Screener().verdict(title=title, text=text).reason == ""
