"""The screening evaluation's readers and tallies (figures themselves: bench/ingest.py)."""

from masthead.evaluation import datasets
from masthead.evaluation import screening as ev


def test_a_plain_corpus_is_read_as_one_untitled_article_per_line(tmp_path):
    path = tmp_path / "wire.cor"
    path.write_text("The council approved the budget on Monday.\n\n  Rates were held.  \n")
    texts = datasets.plain_lines(path)
    assert [(t.title, t.body) for t in texts] == [
        ("", "The council approved the budget on Monday."),
        ("", "Rates were held."),
    ]


def test_pooled_recall_adds_up_the_samples_of_every_seed():
    one = {r.name: r for r in ev.pattern_recall("test", 48, seed=5)}
    two = {r.name: r for r in ev.pattern_recall("test", 48, seed=6)}
    pooled = {r.name: r for r in ev.pooled_recall("test", [5, 6], n=48)}
    for name, row in pooled.items():
        assert row.items == one[name].items + two[name].items
        assert row.held == one[name].held + two[name].held


def test_an_unseen_corpus_counts_what_is_held():
    clean = "The council approved the budget on Monday after weeks of talks with unions."
    spam = " ".join(["Cheap loans online."] + ["loans loans best loans cheap loans now"] * 6)
    row = ev.unseen_hold_rate("sample", [("", clean), ("", spam), ("", clean)])
    assert (row.items, row.held) == (3, 1)
