"""A text's tsvector put together from its chunks' vectors equals PostgreSQL's `to_tsvector`."""

import random
from datetime import UTC, datetime

import pytest
from django.db import connection

from masthead.demo.corpus import CorpusGenerator, article_blocks
from masthead.news.bulk import article_body_raw
from masthead.news.search_index import tsvector_literals
from masthead.news.tsvector import (
    MARKER,
    ChunkVectors,
    chunk_from_lookup,
    chunks_split,
    vector_parse,
)

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's text search"
)

# Tokens PostgreSQL's parser treats in different ways: compounds, numbers, hosts, e-mail
# addresses, URLs, paths, entities, quotes, non-ASCII words and a word that is the marker.
TRICKY = [
    "well-known", "company's", "3.5%", "$12m", "e-mail", "foo.bar", "a@b.com", "http://x.y/z",
    "the", "The", "end.", "abc123", "über", "naïve", "x_y", "1,000", "-5", "+3", "O'Neil",
    "&amp;", "a&b", "--", "...", "'", "\\", "\\'", "1.2.3", "v2.0", "/usr/bin", "C++", "x/y",
    "2026-05-01", "12:30", "U.S.", "e.g.", "(see", "it)", '"quoted"', "—", "“smart”", "~user",
    "@home", "rock'n'roll", "a\xa0b", "日本語", "straße", "😀", "-1.5e-3", "www.example.com/p",
    "1.1.1.1", "a..b", MARKER, "new-york-based", "don't",
]  # fmt: skip


def test_a_lookup_gives_the_chunks_lexemes_and_the_positions_its_stopwords_take():
    # "the cat the": the marker after it is the fourth word.
    assert chunk_from_lookup(f"'cat':2 '{MARKER}':4") == ((("cat", 2),), 3)


def test_a_lookup_without_the_marker_is_refused():
    assert chunk_from_lookup("'cat':2") is None


def test_quotes_and_backslashes_in_lexemes_are_read_back_and_written_escaped():
    assert vector_parse("'it''s':1 'a\\\\b':2,3B") == {"it's": [1], "a\\b": [2, 3]}
    assert chunk_from_lookup(f"'it''s':1 '{MARKER}':2") == ((("it''s", 1),), 1)


def canned(answers: dict[tuple[str, bool], str], asked: list):
    """A lookup answering from `answers` (what PostgreSQL would), recording what it is asked."""

    def lookup(keys):
        asked.append(keys)
        return [answers[key] for key in keys]

    return lookup


ANSWERS = {
    ("the", True): f"'{MARKER}':2",
    ("the", False): f"'{MARKER}':2",
    ("cat", True): f"'cat':1 '{MARKER}':2",
    ("cat", False): f"'cat':1 '{MARKER}':2",
    ("well-known", False): f"'well-known':1 'well':2 'known':3 '{MARKER}':4",
}


def test_chunks_are_shifted_by_the_positions_taken_before_them_and_lexemes_merged():
    asked: list = []
    chunks = ChunkVectors()
    texts = ["the cat  cat", "cat\nwell-known the cat"]
    assert chunks.literals(None, texts, canned(ANSWERS, asked)) == [
        "'cat':2,3",
        "'cat':1,6 'well-known':2 'well':3 'known':4",
    ]
    assert chunks.literals(None, ["cat the"], canned(ANSWERS, asked)) == ["'cat':1"]
    # Each chunk asked for once, in one lookup; the second call needed none.
    assert asked == [
        [("the", True), ("cat", False), ("cat", True), ("well-known", False), ("the", False)]
    ]


def test_texts_with_a_tag_or_too_many_positions_are_left_to_the_server():
    asked: list = []
    chunks = ChunkVectors()
    texts = ["cat <b>cat</b>", " ".join(["cat"] * 255), " ".join(["cat"] * 256)]
    composed = chunks.literals(None, texts, canned(ANSWERS, asked))
    assert composed[0] is None and composed[1] is not None and composed[2] is None
    assert sorted(key for keys in asked for key in keys) == [("cat", False), ("cat", True)]


def composed_and_server(config: str, texts: list[str]) -> list[tuple[str | None, str]]:
    literals = tsvector_literals(chunks=ChunkVectors(), config=config, texts=texts)
    pairs = []
    with connection.cursor() as cursor:
        for text in texts:
            literal = literals[text]
            cursor.execute(
                "SELECT %s::tsvector::text, to_tsvector(%s::regconfig, %s)::text",
                [literal or "", config, text],
            )
            composed, server = cursor.fetchone()
            pairs.append((composed if literal is not None else None, server))
    return pairs


@needs_postgres
@pytest.mark.django_db
@pytest.mark.parametrize("config", ["english", "simple"])
def test_composed_vectors_of_tricky_texts_equal_postgresqls(config):
    rng = random.Random(5)
    texts = [
        "".join(
            rng.choice(TRICKY) + rng.choice([" ", "  ", "\n", " \t", "\r\n"]) for _ in range(30)
        )
        for _ in range(300)
    ]
    texts = [text.strip() for text in texts] + ["~user x", "x ~user", "the", "the the the"]
    pairs = composed_and_server(config, texts)
    assert all(composed is not None for composed, _ in pairs)
    assert [composed for composed, _ in pairs] == [server for _, server in pairs]


@needs_postgres
@pytest.mark.django_db
def test_generated_articles_texts_are_all_composed_and_equal_postgresqls():
    items = list(CorpusGenerator(seed=4, now=datetime(2026, 5, 1, tzinfo=UTC)).articles(40))
    texts = [item.title for item in items] + [item.dek for item in items]
    texts += [article_body_raw(article_blocks(item))[1] for item in items]
    pairs = composed_and_server("english", [text.strip() for text in texts if text.strip()])
    assert all(composed is not None for composed, _ in pairs)
    assert [composed for composed, _ in pairs] == [server for _, server in pairs]
    assert sum(len(chunks_split(text)) for text in texts) > 10 * len(texts)
