"""The offline evaluation on tiny hand-made logs, against metrics worked out by hand."""

import numpy as np
import pytest

from masthead.evaluation import replay as ev


def test_next_click_metrics_by_hand():
    assert ev.next_click_metrics(1) == {
        "hr@5": 1.0,
        "mrr@5": 1.0,
        "ndcg@5": 1.0,
        "hr@10": 1.0,
        "mrr@10": 1.0,
        "ndcg@10": 1.0,
    }
    third = ev.next_click_metrics(3)
    assert third["mrr@5"] == pytest.approx(1 / 3)
    assert third["ndcg@10"] == pytest.approx(1 / np.log2(4))  # 0.5
    assert ev.next_click_metrics(7)["hr@5"] == 0.0 and ev.next_click_metrics(7)["hr@10"] == 1.0


def test_impression_metrics_by_hand():
    # shown: 4 items scored 0.9, 0.8, 0.1, 0.5; the 2nd and 3rd were clicked
    score = np.array([0.9, 0.8, 0.1, 0.5])
    labels = np.array([0.0, 1.0, 1.0, 0.0])
    m = ev.impression_metrics(score, labels, tiebreak=np.arange(4))
    # ranks: item0 1, item1 2, item3 3, item2 4 -> clicked at ranks 2 and 4
    assert m["mrr"] == pytest.approx((1 / 2 + 1 / 4) / 2)
    # pairs (clicked, not): (1,0) wrong, (1,3) right, (2,0) wrong, (2,3) wrong -> 1/4
    assert m["auc"] == pytest.approx(0.25)
    dcg = 1 / np.log2(3) + 1 / np.log2(5)
    ideal = 1 / np.log2(2) + 1 / np.log2(3)
    assert m["ndcg@5"] == pytest.approx(dcg / ideal)


def tiny_log():
    """Five articles published at t=0; three readers; article 0 is the hit."""
    catalogue = ev.Catalogue(
        ids=["a", "b", "c", "d", "e"], published=np.zeros(5), channel=["x", "x", "y", "y", "y"]
    )
    clicks = [
        (10, "u1", 0),
        (20, "u2", 0),
        (30, "u2", 1),
        (40, "u3", 0),
        (50, "u3", 1),
        (60, "u1", 1),
    ]
    return catalogue, [ev.Event(t, u, i) for t, u, i in clicks]


def test_replay_uses_only_the_past_and_scores_by_hand():
    catalogue, events = tiny_log()
    moments = ev.replay(catalogue, events, warmup=0.5)  # clicks at t=40, 50, 60
    assert [m.time for m in moments] == [40, 50, 60]
    # At t=40 u3 has read nothing; popularity so far: a=2, b=1 -> a ranks first.
    popular = ev.evaluate(catalogue, moments[:1], {"popular": lambda s: s["popular"]})
    assert popular["popular"]["mrr@10"] == 1.0
    # At t=50 u3 has read a (excluded); b (1 click) leads c, d, e (0): rank 1.
    # At t=60 u1 has read a; b has 2 clicks: rank 1. Co-occurrence: b co-read with a twice.
    table = ev.evaluate(catalogue, moments[1:], {"cooc": lambda s: s["cooccurrence"]})
    assert table["cooc"]["hr@5"] == 1.0 and table["cooc"]["mrr@5"] == 1.0
    assert 0 not in moments[1].cands  # what u3 read is not a candidate


def test_blend_arrays_matches_the_site_blend():
    from masthead.discovery.recommend import blend

    scores = {"a": np.array([10.0, 5.0, 0.0]), "b": np.array([0.0, 0.2, 0.1])}
    weights = {"a": 1.0, "b": 2.0}
    as_dicts = {k: {i: v for i, v in enumerate(a) if v} for k, a in scores.items()}
    site = blend(as_dicts, weights)
    assert ev.blend_arrays(scores, weights) == pytest.approx([site.get(i, 0) for i in range(3)])


def test_tuning_never_makes_the_blend_worse_on_its_own_split():
    catalogue, events = tiny_log()
    moments = ev.replay(catalogue, events, warmup=0.3)
    start = {"trending": 0.0, "fresh": 1.0}
    tuned = ev.tune(catalogue, moments, start, metric="mrr@10")

    def mrr(w):
        return ev.evaluate(catalogue, moments, {"x": lambda s: ev.blend_arrays(s, w)})["x"][
            "mrr@10"
        ]

    assert mrr(tuned) >= mrr(start)
