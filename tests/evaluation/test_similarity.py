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
