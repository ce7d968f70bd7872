"""The similarity comparison's embedding cache: each text is encoded once, whatever the set."""

import numpy as np

from masthead.evaluation import similarity
from masthead.evaluation.datasets import Text


class LengthEncoder:
    """A stand-in encoder whose row for a text is its length: rows can be told apart."""

    name = "test/length"
    max_tokens = 16

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, docs):
        self.seen.extend(docs)
        return np.array([[len(d), 1.0] for d in docs], np.float32)


def text(key: str, title: str) -> Text:
    return Text(key, title, "", frozenset())


def test_each_text_is_encoded_once_across_sets_and_runs(tmp_path):
    one, three, seventeen = text("a", "one"), text("b", "three"), text("c", "seventeen")
    encoder = LengthEncoder()
    first = similarity.cached_embed(encoder, tmp_path, log=lambda _: None)([one, three])
    assert sorted(encoder.seen) == sorted(similarity.embedding_text(t) for t in (one, three))
    encoder.seen.clear()
    # A later run over another set reads what it can and encodes only the new text.
    again = similarity.cached_embed(encoder, tmp_path, log=lambda _: None)([seventeen, one])
    assert encoder.seen == [similarity.embedding_text(seventeen)]
    assert np.array_equal(again[1], first[0])
    assert again[0][0] == len(similarity.embedding_text(seventeen))


class WindowEncoder(LengthEncoder):
    """Windows of two words; a window's row is its word count."""

    def chunk_ids(self, docs, *, chunks=0):
        self.seen.extend(docs)
        out = []
        for d in docs:
            words = d.split() or [""]
            windows = [words[i : i + 2] for i in range(0, len(words), 2)]
            out.append(windows[:chunks] if chunks else windows)
        return out

    def encode_ids(self, windows):
        return np.array([[len(w), 1.0] for w in windows], np.float32)


def test_windows_are_encoded_once_and_the_first_fills_the_lead_cache(tmp_path):
    five, two = text("a", "one two three four five"), text("b", "one two")
    encoder = WindowEncoder()
    windows = similarity.cached_windows(encoder, tmp_path, chunks=2, log=lambda _: None)
    rows = windows([five, two])
    assert [r[:, 0].tolist() for r in rows] == [[2, 2], [2]]  # at most 2 windows of 2 words
    encoder.seen.clear()
    assert [len(r) for r in windows([two, five])] == [1, 2] and encoder.seen == []
    # The lead embeddings are the first windows: nothing is encoded for them.
    leads = similarity.cached_embed(encoder, tmp_path, log=lambda _: None)([five, two])
    assert encoder.seen == [] and leads[:, 0].tolist() == [2, 2]
