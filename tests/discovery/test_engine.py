"""The engine on small fixtures whose answers are known by construction."""

import numpy as np
import pytest
import scipy.sparse as sp

from masthead.discovery import engine
from masthead.discovery.text import terms

TOPICS = {
    "copper": "copper mine smelter ore tonnes metal prices futures London Metal Exchange",
    "football": "football striker goal league match referee penalty stadium coach",
    "election": "election ballot voters parliament campaign candidate polls minister",
}


def topic_texts(per_topic=6, seed=0):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for topic, words in TOPICS.items():
        vocab = words.split()
        for i in range(per_topic):
            picked = rng.choice(vocab, size=40)
            texts.append(f"{topic} report {i}: " + " ".join(picked))
            labels.append(topic)
    return texts, labels


def corpus_of(texts, *, stories=None, published=None, tags=None):
    model = engine.model_fit(texts)
    X = model.sparse(texts)
    n = len(texts)
    return engine.Corpus(
        ids=np.arange(100, 100 + n),
        X=X,
        Z=model.dense(X),
        published=np.zeros(n) if published is None else np.asarray(published, float),
        tags=sp.csr_matrix((n, 0)) if tags is None else sp.csr_matrix(tags, dtype=np.float32),
        story=np.arange(n) if stories is None else np.asarray(stories),
    )


def test_related_neighbours_share_the_topic_and_exclude_the_article_itself():
    texts, labels = topic_texts()
    corpus = corpus_of(texts)
    result = engine.related_rows(corpus, range(len(texts)), keep=5)
    for row, items in enumerate(result.items):
        assert row not in [j for j, _ in items]
        assert [labels[j] for j, _ in items] == [labels[row]] * 5
        scores = [s for _, s in items]
        assert scores == sorted(scores, reverse=True)


def test_related_keeps_one_article_per_story_and_none_of_its_own_story():
    texts, _ = topic_texts()
    # rows 1-3 are one story (copper), row 0 shares a story with row 4
    stories = list(range(len(texts)))
    stories[1] = stories[2] = stories[3] = 50
    stories[4] = stories[0]
    corpus = corpus_of(texts, stories=stories)
    items = engine.related_rows(corpus, [0], keep=5).items[0]
    picked = [j for j, _ in items]
    assert 4 not in picked  # same story as the article
    assert sum(1 for j in picked if stories[j] == 50) == 1


def test_tag_overlap_and_closeness_in_time_lift_a_neighbour():
    texts = ["copper prices rise in london trading"] * 3
    texts = [t + f" note {i}" for i, t in enumerate(texts)]
    tags = [[1, 0], [0, 0], [1, 0]]
    corpus = corpus_of(texts, tags=tags)
    items = engine.related_rows(corpus, [0], keep=2).items[0]
    assert items[0][0] == 2  # shares the tag
    day = 86400.0
    corpus = corpus_of(texts, published=[0, 1 * day, 200 * day])
    items = engine.related_rows(corpus, [0], keep=2).items[0]
    assert items[0][0] == 1  # one day apart beats 200 days apart


def test_incremental_candidates_are_the_rows_whose_floor_a_new_vector_beats():
    texts, _ = topic_texts()
    corpus = corpus_of(texts)
    floors = np.asarray(engine.related_rows(corpus, range(len(texts))).floors)
    z = corpus.Z[0]
    assert set(engine.affected_rows(corpus, z, floors)) == set(
        np.flatnonzero(corpus.Z @ z >= floors)
    )


def story_index_add(index, key, text, model, published=0.0):
    X = model.sparse([text])
    return index.add(key, engine.minhash(text), X, model.dense(X)[0], published)


WIRE = (
    "The central bank raised its main interest rate by a quarter point on Tuesday, citing "
    "stubborn inflation in services and a tight labour market, and signalled that further "
    "increases were possible if wage growth did not slow in the coming months."
)


def test_near_duplicates_join_one_story_and_other_events_start_their_own():
    texts = [
        WIRE,
        "UPDATE 1-" + WIRE + " Markets were little changed.",
        "The football club sacked its coach after a run of seven league defeats in a row.",
    ]
    model = engine.model_fit(texts * 3)
    index = engine.StoryIndex()
    first, how1 = story_index_add(index, 1, texts[0], model)
    second, how2 = story_index_add(index, 2, texts[1], model)
    third, how3 = story_index_add(index, 3, texts[2], model)
    assert (how1, how2, how3) == ("new", "duplicate", "new")
    assert first == second != third


def test_same_event_outside_the_time_window_is_a_new_story():
    model = engine.model_fit([WIRE, "football coach sacked"] * 3)
    index = engine.StoryIndex()
    # The same words in another order: the same event in content, not a copy in shingles.
    retold = " ".join(reversed(WIRE.split()))
    a, _ = story_index_add(index, 1, WIRE, model, published=0)
    b, how = story_index_add(index, 2, retold, model, published=1 * 3600)
    c, _ = story_index_add(index, 3, " ".join(sorted(WIRE.split())), model, published=30 * 86400)
    assert how == "event"
    assert a == b != c


def test_nothing_joins_a_closed_story_neither_as_a_copy_nor_as_the_same_event():
    model = engine.model_fit([WIRE, "football coach sacked"] * 3)
    index = engine.StoryIndex()
    X = model.sparse([WIRE])
    index.restore(1, -7, engine.minhash(WIRE), X, model.dense(X)[0], 0.0)
    copy, how = story_index_add(index, 2, "UPDATE 1-" + WIRE, model)
    retold, how_retold = story_index_add(index, 3, " ".join(reversed(WIRE.split())), model)
    assert (how, copy) == ("new", 1)
    assert retold == copy and how_retold in ("duplicate", "event")


def test_minhash_signatures_round_trip():
    m = engine.minhash(WIRE)
    assert engine.minhash_load(engine.minhash_bytes(m)).jaccard(m) == 1.0


def test_model_round_trips_through_bytes():
    texts, _ = topic_texts()
    model = engine.model_fit(texts)
    again = engine.Model.from_bytes(model.to_bytes())
    assert np.allclose(model.dense(model.sparse(texts)), again.dense(again.sparse(texts)))


def test_covisitation_is_the_cosine_of_session_counts():
    sessions = [[1, 2], [1, 2], [1, 3], [1, 3], [2, 3], [4]]
    lists = engine.covisitation(sessions, min_count=2)
    # item 1 is in 4 sessions, item 2 in 3: together in 2 -> 2 / sqrt(4 * 3)
    assert lists[1][0][0] in (2, 3)
    assert dict(lists[1])[2] == pytest.approx(2 / np.sqrt(12))
    assert 4 not in lists and 3 not in dict(lists[2])  # together once only: below min_count


def test_blend_scales_each_source_to_its_best_candidate():
    total = engine.blend({"a": {1: 10.0, 2: 5.0}, "b": {2: 0.2}}, {"a": 1.0, "b": 2.0})
    assert total == {1: pytest.approx(1.0), 2: pytest.approx(0.5 + 2.0)}


CHINESE = {
    "markets": [
        "上海证券交易所股票价格今天大幅上涨，投资者买入银行股票。",
        "股票市场继续上涨，银行和保险股票价格创新高，投资者信心增强。",
        "证券交易所公布数据，股票交易量上涨，银行股票领涨。",
    ],
    "football": [
        "足球比赛中前锋打进两个进球，球队赢得联赛冠军。",
        "联赛足球比赛结束，教练称赞前锋的进球和球队的防守。",
        "球队在足球联赛中输掉比赛，教练承认防守出现问题。",
    ],
}


def test_text_without_spaces_is_segmented_into_words():
    words = terms(CHINESE["markets"][0])
    assert "股票" in words and "投资者" in words


def test_related_and_stories_work_for_chinese_text():
    texts = [t for group in CHINESE.values() for t in group]
    labels = [label for label, group in CHINESE.items() for _ in group]
    corpus = corpus_of(texts)
    for row, items in enumerate(engine.related_rows(corpus, range(len(texts)), keep=2).items):
        assert [labels[j] for j, _ in items] == [labels[row]] * 2
    model = engine.model_fit(texts)
    index = engine.StoryIndex()
    copy = "快讯：" + CHINESE["markets"][1]
    a, _ = story_index_add(index, 1, CHINESE["markets"][1], model)
    b, how = story_index_add(index, 2, copy, model)
    c, _ = story_index_add(index, 3, CHINESE["football"][0], model)
    assert a == b != c and how in ("duplicate", "event")
