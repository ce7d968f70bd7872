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
        topics=model.topics,
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


def test_the_rows_a_batch_enters_are_those_any_of_its_vectors_enters(monkeypatch):
    texts, _ = topic_texts(per_topic=40)  # more rows than a list's candidates
    corpus = corpus_of(texts)
    floors = np.asarray(engine.related_rows(corpus, range(len(texts))).floors)
    batch = corpus.Z[[0, 40]]  # two of the three topics: each enters its own topic's lists
    each = [set(engine.affected_rows(corpus, z, floors).tolist()) for z in batch]
    one_by_one = each[0] | each[1]
    monkeypatch.setattr(engine, "AFFECTED_CHUNK", 17)  # several chunks, the last one short
    together = engine.affected_rows(corpus, batch, floors)
    assert each[0] < one_by_one and each[1] < one_by_one and len(one_by_one) < len(texts)
    assert together.tolist() == sorted(one_by_one)


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
    Z = model.dense(model.sparse(texts))
    assert np.allclose(Z, again.dense(again.sparse(texts)))
    assert np.array_equal(model.topics.of(Z), again.topics.of(Z))


def test_a_model_has_a_topic_partition_of_each_size_below_its_number_of_texts():
    texts, labels = topic_texts()  # 18 texts
    model = engine.model_fit(texts)
    assert model.topics.sizes.tolist() == [4, 8, 16]
    topic = model.topics.of(model.dense(model.sparse([*texts, ""])))
    assert topic.shape == (19, 3)
    assert topic[-1].tolist() == [-1, -1, -1]  # no words, no topic
    # Three subjects in four topics: no topic holds texts of two subjects.
    for t in set(topic[:-1, 0].tolist()):
        assert len({labels[i] for i in np.flatnonzero(topic[:-1, 0] == t)}) == 1
    assert engine.model_fit(["a b", "c d"]).topics is None


def at(degrees):
    return [np.cos(np.radians(degrees)), np.sin(np.radians(degrees))]


def test_topic_agreement_lifts_a_neighbour_in_the_article_s_broad_subject():
    # Article at 5 degrees; candidate 1 at 40 (35 away, same topic), candidate 2 at -25 (30
    # away, closer in content, other topic). The topics are the two half-planes.
    Z = np.array([at(5), at(40), at(-25)], np.float32)
    same_words = sp.csr_matrix(np.ones((3, 1), np.float32))
    topics = engine.Topics(np.array([at(45), at(-45)], np.float32), np.array([2]))
    corpus = engine.untagged_corpus(same_words, Z, np.zeros(3))
    assert [j for j, _ in engine.related_rows(corpus, [0], keep=2).items[0]] == [2, 1]
    corpus = engine.untagged_corpus(same_words, Z, np.zeros(3), topics=topics)
    items = engine.related_rows(corpus, [0], keep=2).items[0]
    assert [j for j, _ in items] == [1, 2]
    # content = mean of the word cosine (1) and the dense cosine, lifted by 1 + TOPIC_WEIGHT
    assert items[0][1] == pytest.approx(
        0.5 * (1 + np.cos(np.radians(35))) * (1 + engine.TOPIC_WEIGHT), abs=1e-5
    )
    assert items[1][1] == pytest.approx(0.5 * (1 + np.cos(np.radians(30))), abs=1e-5)


def test_covisitation_is_the_cosine_of_session_counts():
    sessions = [[1, 2], [1, 2], [1, 3], [1, 3], [2, 3], [4]]
    lists = engine.covisitation(sessions, min_count=2)
    # item 1 is in 4 sessions, item 2 in 3: together in 2 -> 2 / sqrt(4 * 3)
    assert lists[1][0][0] in (2, 3)
    assert dict(lists[1])[2] == pytest.approx(2 / np.sqrt(12))
    assert 4 not in lists and 3 not in dict(lists[2])  # together once only: below min_count


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


class SubjectEncoder:
    """A stand-in sentence encoder that knows synonyms: each text maps to the unit vector of
    the subject its words name, whatever the words, as a paraphrase-trained model would."""

    name = "subjects"
    dimensions = 3
    SUBJECTS = {
        0: {"copper", "ore", "smelter", "bullion", "metal"},
        1: {"football", "striker", "goalkeeper", "soccer", "league"},
        2: {"election", "ballot", "voters", "referendum", "polls"},
    }

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        rows = np.zeros((len(texts), 3), np.float32)
        for i, text in enumerate(texts):
            words = set(text.lower().split())
            for axis, subject in self.SUBJECTS.items():
                rows[i, axis] = len(words & subject)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.maximum(norms, 1e-9)


def test_without_embeddings_the_dense_vectors_are_lsa():
    texts, _ = topic_texts()
    model = engine.model_fit(texts)
    X, Z = model.vectors(texts)
    assert model.embedding == "" and Z.shape[1] == model.dimensions
    assert np.allclose(Z, model.dense(model.sparse(texts)))


def test_with_an_encoder_the_dense_vectors_are_its_embeddings_of_the_title_once():
    encoder = SubjectEncoder()
    model = engine.model_fit(["copper ore", "football league"], encoder=encoder)
    X, Z = model.vectors(["Copper smelter\nCopper smelter\nore prices"])
    assert model.embedding == "subjects" and model.embedding_dimensions == 3
    assert encoder.seen == ["Copper smelter\nore prices"]
    # LSA and the embedding side by side, each scaled so the cosine is the mean of the two.
    assert Z.shape[1] == model.dimensions == model.components.shape[0] + 3
    assert Z[0, -3:] * np.sqrt(2) == pytest.approx([1, 0, 0]) and X.shape[1] == engine.N_FEATURES


def test_related_with_embeddings_finds_paraphrases_that_share_no_words():
    texts = [
        "copper smelter output",
        "bullion ore shipments",
        "striker scores twice",
        "goalkeeper soccer injury",
        "ballot counting begins",
        "referendum voters queue",
    ]
    model = engine.model_fit(texts, encoder=SubjectEncoder())
    X, Z = model.vectors(texts)
    corpus = engine.untagged_corpus(X, Z, np.zeros(len(texts)))
    result = engine.related_rows(corpus, range(len(texts)), keep=1)
    assert [items[0][0] for items in result.items] == [1, 0, 3, 2, 5, 4]
    lsa = engine.model_fit(texts)
    assert not np.any(np.abs(lsa.vectors(texts)[0][0] @ lsa.vectors(texts)[0][1].T) > 0)


def test_a_stored_model_gets_its_encoder_back_only_when_it_is_the_same_model():
    model = engine.model_fit(["copper ore", "football league"], encoder=SubjectEncoder())
    again = engine.Model.from_bytes(model.to_bytes(), encoder=SubjectEncoder())
    assert again.embedding == "subjects" and again.encoder is not None
    other = SubjectEncoder()
    other.name = "another model"
    stranger = engine.Model.from_bytes(model.to_bytes(), encoder=other)
    assert stranger.encoder is None
    with pytest.raises(ValueError, match="attach them"):
        stranger.vectors(["copper"])
    assert engine.Model.from_bytes(engine.model_fit(["a b", "c d"]).to_bytes()).embedding == ""


def story_of(index, key, text, model, published=0.0):
    X, Z = model.vectors([text])
    return index.add(key, engine.minhash(text), X, Z[0], published)


def test_embedding_story_bars_join_headlines_above_them_and_split_those_below():
    model = engine.model_fit(["copper ore", "football league"], encoder=SubjectEncoder())
    options = engine.story_options(model.embedding_dimensions)
    assert options["headline_threshold"] == engine.EMBEDDING_HEADLINE_THRESHOLD
    index = engine.StoryIndex(**options)
    a, _ = story_of(index, 1, "Copper smelter strike", model)
    # No shared word: content similarity is half the embedding cosine, 0.5 here.
    b, how = story_of(index, 2, "bullion ore shipments", model)
    c, _ = story_of(index, 3, "striker scores twice", model)
    assert how == "event" and a == b != c
    strict = engine.StoryIndex(threshold=0.9, headline_threshold=0.51)
    a, _ = story_of(strict, 1, "Copper smelter strike", model)
    b, how = story_of(strict, 2, "bullion ore shipments", model)
    assert how == "new" and a != b


def test_encoder_text_keeps_one_copy_of_a_repeated_line_only():
    assert engine.encoder_text("Title\nTitle\n\n\nBody\nBody") == "Title\n\n\nBody"
    assert engine.encoder_text("Headline\nHeadline\n") == "Headline"


def test_average_linkage_joins_the_story_a_headline_is_closest_to_on_average():
    model = engine.model_fit(["copper ore", "football league"], encoder=SubjectEncoder())
    index = engine.StoryIndex(
        threshold=0.9, headline_threshold=0.6, headline_linkage="average", headline_columns=3
    )
    copper, _ = story_of(index, 1, "copper smelter output", model)
    football, _ = story_of(index, 2, "striker scores twice", model)
    story_of(index, 3, "goalkeeper soccer injury", model)
    # Half copper, half football: cosine 0.71 to each story's members, so it joins one of them.
    mixed, how = story_of(index, 4, "copper striker", model)
    assert how == "event" and mixed in (copper, football)
    # A headline about an election is close to no story.
    election, how = story_of(index, 5, "ballot voters", model)
    assert how == "new" and election not in (copper, football)


def test_bars_tuned_on_links_give_the_stories_the_index_gives():
    texts = [WIRE, "UPDATE 1-" + WIRE, "central bank rate", "football coach sacked"] + [
        " ".join(reversed(WIRE.split())),
        "coach sacked by football club",
    ]
    model = engine.model_fit(texts * 2)
    index = engine.StoryIndex(threshold=0.5, headline_threshold=0.3)
    links_index = engine.StoryIndex()
    links, direct = [], []
    for key, text in enumerate(texts):
        X, Z = model.vectors([text])
        signature = engine.minhash(text)
        links.append(links_index.nearest(key, signature, X, Z[0], 0.0))
        links_index.restore(key, key, signature, X, Z[0], 0.0)
        direct.append(index.add(key, signature, X, Z[0], 0.0)[0])
    tuned = engine.links_stories(links, range(len(texts)), threshold=0.5, headline_threshold=0.3)
    same = [[a == b for b in direct] for a in direct]
    assert [[a == b for b in tuned] for a in tuned] == same
    assert len(set(direct)) < len(texts)


def _headline(columns: list[int], dense: list[float]) -> tuple[sp.csr_matrix, np.ndarray]:
    """A headline-length TF-IDF row and a dense row whose LSA part equals its embedding part."""
    x = sp.csr_matrix(
        (np.ones(len(columns), np.float32), (np.zeros(len(columns), int), columns)),
        shape=(1, engine.N_FEATURES),
    )
    part = np.array(dense, np.float32) / np.linalg.norm(dense)
    return x, engine.dense_join(part[None], part[None])[0]


@pytest.mark.parametrize(("bar", "merged"), [(0.3, True), (0.4, False)])
def test_headline_stories_merge_when_their_members_are_close_on_average(bar, merged):
    index = engine.StoryIndex(
        threshold=0.9, headline_threshold=bar, headline_linkage="average", headline_columns=2
    )
    rows = {1: ([1, 2], [1, 0]), 2: ([3, 4], [0, 1]), 3: ([5, 6], [1, 1])}
    stories = {}
    for key, (columns, dense) in rows.items():
        x, z = _headline(columns, dense)
        stories[key] = index.add(key, engine.minhash(f"headline {key}"), x, z, 0.0)[0]
    # 1 and 2 are unrelated; 3 is 0.71 from each, so it joins 1's story. The two stories'
    # members are then 0.35 apart on average: merged under a bar of 0.3, not under 0.4.
    assert stories[1] != stories[2] and stories[3] == stories[1]
    if merged:
        assert index.merges == [(stories[2], stories[1])]
        assert index.story_of[1] == index.story_of[2] == index.story_of[3] == stories[1]
    else:
        assert index.merges == [] and index.story_of[2] == stories[2]


def test_stories_with_full_texts_never_merge_as_headlines():
    index = engine.StoryIndex(
        threshold=0.99, headline_threshold=0.3, headline_linkage="average", headline_columns=2
    )
    long_x, long_z = _headline(list(range(100, 140)), [0, 1])  # 40 terms: an article
    index.add(2, engine.minhash("an article"), long_x, long_z, 0.0)
    for key, (columns, dense) in {1: ([1, 2], [1, 0]), 3: ([5, 6], [1, 0.8])}.items():
        x, z = _headline(columns, dense)
        index.add(key, engine.minhash(f"headline {key}"), x, z, 0.0)
    # 3 joins 1 (0.78); its story is 0.31 from the article's on average, over the bar of 0.3,
    # but a story with a full text is held to the article bar.
    assert index.story_of[1] == index.story_of[3]
    assert index.merges == [] and index.story_of[2] != index.story_of[1]


def test_a_headline_never_joins_an_editors_locked_story_under_average_linkage():
    index = engine.StoryIndex(
        threshold=0.9, headline_threshold=0.3, headline_linkage="average", headline_columns=2
    )
    x, z = _headline([1, 2], [1, 0])
    index.restore(1, -5, engine.minhash("locked headline"), x, z, 0.0)
    x, z = _headline([3, 4], [1, 0.1])  # 0.99 from the locked story's member
    story, how = index.add(2, engine.minhash("new headline"), x, z, 0.0)
    assert how == "new" and story >= 0


def test_story_candidates_limit_the_comparison_to_the_articles_offered():
    model = engine.model_fit([WIRE, "football coach sacked"] * 3)
    retold = " ".join(reversed(WIRE.split()))
    X = model.sparse([WIRE, retold])
    Z = model.dense(X)
    offered, not_offered = engine.StoryIndex(), engine.StoryIndex()
    for index in (offered, not_offered):
        index.add(1, engine.minhash(WIRE), X[0], Z[0], 0.0)
    joined = offered.add(2, engine.minhash(retold), X[1], Z[1], 3600.0, candidates=[1, -1])
    alone = not_offered.add(2, engine.minhash(retold), X[1], Z[1], 3600.0, candidates=[-1])
    assert joined == (offered.story_of[1], "event")
    assert alone[1] == "new"


def _headline_index(**options) -> engine.StoryIndex:
    return engine.StoryIndex(
        threshold=0.9,
        headline_threshold=0.5,
        headline_linkage="average",
        headline_columns=2,
        **options,
    )


def test_a_regroup_clusters_recent_headlines_again_all_at_once():
    index = _headline_index()
    # In publication order: 1 (east), then 2 (north-east, 0.71 from 1: joins it), then 3 and 4
    # (north, 0.71 from 2 but 0 from 1: 0.35 on average, a new story). All at once, 2 is
    # closer on average to 3 and 4 (0.74) than to 1 (0.71) and moves to their story.
    for key, dense in {1: [1, 0], 2: [1, 1], 3: [0, 1], 4: [0.1, 1]}.items():
        x, z = _headline([key], dense)
        index.add(key, engine.minhash(f"headline {key}"), x, z, float(key))
    assert index.story_of[2] == index.story_of[1] != index.story_of[3] == index.story_of[4]
    moves = index.regroup(10.0)
    assert moves == [(2, index.story_of[3])] and index.moves == moves
    assert index.story_of[1] != index.story_of[2] == index.story_of[3] == index.story_of[4]
    # The stories' sums follow: a headline near 2, 3 and 4 joins their story, not 1's.
    x, z = _headline([5], [0.5, 1])
    assert index.add(5, engine.minhash("headline 5"), x, z, 11.0)[0] == index.story_of[3]


def test_a_regroup_leaves_older_headlines_locked_stories_and_full_texts_alone():
    index = _headline_index()
    x, z = _headline([1], [1, 0])
    index.restore(1, -5, engine.minhash("locked"), x, z, 5.0)  # an editor's story
    x, z = _headline(list(range(100, 140)), [1, 1])  # an article, not a headline
    index.add(2, engine.minhash("an article"), x, z, 5.0)
    x, z = _headline([3], [1, 0.9])
    index.add(3, engine.minhash("old headline"), x, z, 0.0)
    before = dict(index.story_of)
    assert index.regroup(5.0, window=2.0) == [] and index.story_of == before


def test_the_first_article_of_a_new_period_regroups_first():
    index = _headline_index(regroup_every=100.0)
    for key, dense in {1: [1, 0], 2: [1, 1], 3: [0, 1], 4: [0.1, 1]}.items():
        x, z = _headline([key], dense)
        index.add(key, engine.minhash(f"headline {key}"), x, z, float(key))
    assert index.moves == []  # the same period: nothing regrouped yet
    x, z = _headline([5], [-1, 0])
    index.add(5, engine.minhash("headline 5"), x, z, 150.0)
    assert index.moves == [(2, index.story_of[3])]
