"""The corpus index: add / replace / drop equal a rebuild; snapshots open as they were saved."""

import numpy as np
import pytest

from masthead.discovery import ann, engine
from masthead.discovery.corpus_index import CorpusIndex, IndexRow, StoredRows

TEXTS = [
    "Copper futures climbed in London as smelters cut output",
    "Smelters in Chile cut copper output after strikes",
    "The central bank held rates and signalled patience",
    "Rates stay on hold as the bank waits for inflation data",
    "The home side won the derby with a late goal",
    "A late goal settles the derby for the home side",
    "Storms close ports along the northern coast",
    "Ports reopen on the coast after the storms pass",
    "Chip makers raise prices as demand for servers grows",
    "Server demand lifts chip makers' prices again",
]
CHANNELS = ["0001000100010001", "0001000100010002", "0001000100010003"]


@pytest.fixture(scope="module")
def model() -> engine.Model:
    return engine.model_fit(TEXTS * 3, dims=8)


def make_row(model: engine.Model, i: int, text: str, *, story: int | None = None) -> IndexRow:
    X = model.sparse([text])
    return IndexRow(
        article_id=100 + i,
        x=X,
        z=model.dense(X)[0],
        published=1_700_000_000.0 + 3600 * i,
        channel_path=CHANNELS[i % 3],
        tags=[(i % 4, f"tag {i % 4}")],
        story=i if story is None else story,
        signature=engine.minhash(text).hashvalues.astype(np.uint32),
    )


def built(model: engine.Model, rows: list[IndexRow]) -> CorpusIndex:
    index = CorpusIndex(model, model_id=1)
    index.add(rows)
    return index


def same(a: CorpusIndex, b: CorpusIndex) -> None:
    ca, cb = a.corpus, b.corpus
    assert ca.ids.tolist() == cb.ids.tolist()
    assert np.array_equal(ca.Z, cb.Z)
    assert (ca.X != cb.X).nnz == 0
    assert ca.published.tolist() == cb.published.tolist()
    assert ca.story.tolist() == cb.story.tolist()
    names = lambda index: [  # noqa: E731
        sorted(index.reason(r, o) for o in range(index.size) if o != r) for r in range(index.size)
    ]
    assert names(a) == names(b)
    assert [a.channel_of(r) for r in range(a.size)] == [b.channel_of(r) for r in range(b.size)]
    rows = range(a.size)
    na, nb = a.neighbours(rows), b.neighbours(rows)
    assert [[(int(ca.ids[j]), round(s, 5)) for j, s in items] for items in na.items] == [
        [(int(cb.ids[j]), round(s, 5)) for j, s in items] for items in nb.items
    ]


def test_adding_rows_one_by_one_equals_building_them_at_once(model):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    index = built(model, rows[:4])
    for row in rows[4:]:
        index.add([row])
    same(index, built(model, rows))


def test_replacing_a_row_equals_a_rebuild_with_the_new_content(model):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    index = built(model, rows)
    edited = make_row(model, 3, "Storms and strikes shut copper smelters on the coast", story=3)
    edited.tags = [(9, "weather")]
    index.replace(index.row_of(edited.article_id), edited)
    same(index, built(model, [*rows[:3], edited, *rows[4:]]))
    assert index.reason(index.row_of(103), index.row_of(103)) == "Also about weather"


def test_dropping_a_row_equals_a_rebuild_without_it(model):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    index = built(model, rows)
    index.drop(index.row_of(104))
    assert index.row_of(104) is None and index.row_of(105) == 4
    same(index, built(model, [r for r in rows if r.article_id != 104]))


def test_a_saved_snapshot_opens_memory_mapped_and_equal(model, tmp_path):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    index = built(model, rows[:6])
    index.save(tmp_path, mark={"last": ""})
    opened = CorpusIndex.load(tmp_path, model)
    assert not opened.corpus.Z.flags.writeable  # mapped, not read into memory
    same(opened, index)
    # Changes after opening copy only what they touch and still equal a rebuild.
    opened.add(rows[6:])
    opened.drop(opened.row_of(101))
    index.add(rows[6:])
    index.drop(index.row_of(101))
    same(opened, index)


def test_an_opened_index_given_room_appends_without_copying_its_arrays_and_still_equals(
    model, tmp_path
):
    """A worker warms up by copying the mapped arrays once (`reserve`); its first update after
    a publish then appends in place instead of copying every array of the corpus."""
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    built(model, rows[:6]).save(tmp_path, mark={"last": ""})
    opened = CorpusIndex.load(tmp_path, model)
    opened.reserve(4)
    before = {name: opened._get(name) for name in CorpusIndex.ARRAYS}
    X = opened.corpus.X
    for row in rows[6:]:
        opened.add([row])
    for name, array in before.items():
        assert np.shares_memory(opened._get(name), array), name
    assert np.shares_memory(opened.corpus.X.indices, X.indices)
    same(opened, built(model, rows))


def test_appending_rows_keeps_the_article_to_row_table_instead_of_remaking_it(model, monkeypatch):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    index = built(model, rows[:6])
    assert index.row_of(103) == 3  # the table made once
    made = []
    real = ann.row_table
    monkeypatch.setattr(ann, "row_table", lambda ids: made.append(len(ids)) or real(ids))
    for row in rows[6:]:
        index.add([row])
        assert index.row_of(row.article_id) == index.size - 1
    assert index.row_of(100) == 0 and index.row_of(999) is None
    assert made == []  # one pass over the corpus per publish otherwise
    index.drop(index.row_of(101))
    assert index.row_of(102) == 1 and made == [9]


def test_saving_again_keeps_two_snapshots_and_points_current_at_the_newest(model, tmp_path):
    index = built(model, [make_row(model, i, t) for i, t in enumerate(TEXTS)])
    paths = [index.save(tmp_path, mark={"last": str(i)}) for i in range(3)]
    assert (tmp_path / "current").resolve() == paths[-1]
    assert sorted(p.name for p in tmp_path.glob("index-*")) == sorted(p.name for p in paths[1:])
    assert CorpusIndex.snapshot_meta(tmp_path)["mark"] == {"last": "2"}


def stored(rows: list[IndexRow]) -> StoredRows:
    return StoredRows(
        ids=np.array([r.article_id for r in rows], np.int64),
        Z=np.vstack([r.z for r in rows]),
        published=np.array([r.published for r in rows]),
        channel_paths=[r.channel_path for r in rows],
        stories=np.array([r.story for r in rows], np.int64),
        floors=np.array([r.floor for r in rows], np.float32),
    )


def test_catching_up_reads_in_full_only_new_and_edited_rows_and_equals_a_rebuild(model, tmp_path):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    built(model, rows[:6]).save(tmp_path, mark={"last": ""})
    opened = CorpusIndex.load(tmp_path, model)
    relisted = [make_row(model, i, TEXTS[i]) for i in (0, 2)]
    relisted[0].floor, relisted[1].floor = 0.25, 0.5  # their Related lists were written again
    merged = make_row(model, 4, TEXTS[4], story=5)  # the clusterer merged its story
    edited = make_row(model, 1, "Storms and strikes shut copper smelters on the coast")
    since = sorted([*relisted, merged, edited, *rows[6:]], key=lambda r: r.published)
    asked: list[list[int]] = []

    def read(ids: list[int]) -> list[IndexRow]:
        asked.append(ids)
        return [r for r in since if r.article_id in ids]

    opened.catch_up(stored(since), read=read)

    assert asked == [sorted([edited.article_id, *(r.article_id for r in rows[6:])])]
    expected = [*rows[:6], *rows[6:]]
    expected[0], expected[1], expected[2], expected[4] = relisted[0], edited, relisted[1], merged
    same(opened, built(model, expected))
    assert opened.floors.tolist() == [r.floor for r in expected]


def test_a_snapshot_after_only_lists_changed_links_the_rows_of_the_one_it_was_opened_from(
    model, tmp_path
):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    first = built(model, rows).save(tmp_path, mark={"last": "1"})
    opened = CorpusIndex.load(tmp_path, model)
    relisted = make_row(model, 3, TEXTS[3], story=2)
    relisted.floor = 0.75
    opened.catch_up(stored([relisted]), read=lambda ids: [])

    second = opened.save(tmp_path, mark={"last": "2"})

    assert (second / "Z.npy").stat().st_ino == (first / "Z.npy").stat().st_ino
    assert (second / "story.npy").stat().st_ino != (first / "story.npy").stat().st_ino
    reopened = CorpusIndex.load(tmp_path, model)
    same(reopened, opened)
    assert reopened.corpus.story[3] == 2 and reopened.floors[3] == np.float32(0.75)


def test_a_snapshot_whose_source_lost_a_file_is_written_in_full_not_left_without_it(
    model, tmp_path
):
    """Another process pruning the source snapshot part-way must not leave a snapshot that
    lacks a file: the link fails and the index writes every file itself."""
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    first = built(model, rows).save(tmp_path, mark={"last": "1"})
    opened = CorpusIndex.load(tmp_path, model)
    relisted = make_row(model, 3, TEXTS[3], story=2)
    opened.catch_up(stored([relisted]), read=lambda ids: [])
    (first / "Z.npy").unlink()  # the open index keeps its memory map of it

    second = opened.save(tmp_path, mark={"last": "2"})

    assert (second / "Z.npy").exists()
    same(CorpusIndex.load(tmp_path, model), opened)


def test_near_copies_are_found_through_banded_signatures(model):
    index = built(model, [make_row(model, i, t) for i, t in enumerate(TEXTS)])
    copy = engine.minhash(TEXTS[2] + " today")
    found = index.near_copy(engine.minhash(TEXTS[2]), bar=0.9)
    assert found == (102, 1.0)
    assert index.near_copy(copy, bar=0.99) is None
    assert (
        index.near_copy(engine.minhash("Nothing like any of them at all, really"), bar=0.6) is None
    )


def test_with_the_graph_changes_still_equal_a_rebuild(model, tmp_path):
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    index = CorpusIndex(model, model_id=1, exact_below=4)
    index.add(rows[:3])
    assert index.vectors.graph is None
    index.add(rows[3:])  # crossing the threshold builds the graph
    assert index.vectors.graph is not None
    edited = make_row(model, 3, "Storms and strikes shut copper smelters on the coast", story=3)
    index.replace(index.row_of(103), edited)
    index.drop(index.row_of(106))
    final = [edited if r.article_id == 103 else r for r in rows if r.article_id != 106]
    rebuilt = CorpusIndex(model, model_id=1, exact_below=4)
    rebuilt.add(final)
    same(index, rebuilt)
    same(index, built(model, final))  # and the exact search
    index.save(tmp_path, mark={"last": ""})
    opened = CorpusIndex.load(tmp_path, model, exact_below=4)
    assert opened.vectors._graph is None  # read only when a search needs it
    same(opened, index)
    assert opened.vectors.graph is not None


@pytest.mark.parametrize("exact_below", [4, 1000])
def test_candidates_scored_before_stories_are_set_give_the_lists_of_the_final_stories(
    model, exact_below
):
    rows = [make_row(model, i, t, story=-1) for i, t in enumerate(TEXTS)]
    index = CorpusIndex(model, model_id=1, exact_below=exact_below)
    index.add(rows)
    assert (index.vectors.graph is not None) == (exact_below == 4)
    scored = index.related_scored()  # as a rebuild does while it clusters
    index.stories_set(np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]))  # pairs: one story each
    chosen = [index.related_chosen(range(start, start + 3), scored) for start in (0, 3, 6)]
    chosen.append(index.related_chosen(range(9, 10), scored))
    want = index.neighbours(range(index.size))
    assert [items for part in chosen for items in part.items] == want.items
    assert [floor for part in chosen for floor in part.floors] == want.floors
    story = index.corpus.story
    for row, items in enumerate(want.items):  # the stories were applied, not ignored
        assert all(story[j] != story[row] for j, _ in items)
        assert len({int(story[j]) for j, _ in items}) == len(items)


def test_an_opened_index_restores_only_the_stories_an_article_can_join(model, tmp_path):
    day = 86400.0
    rows = [make_row(model, i, t) for i, t in enumerate(TEXTS)]
    for i, row in enumerate(rows):
        row.published = 1_700_000_000.0 + 5 * day * i  # each outside the others' windows
    built(model, rows).save(tmp_path, mark={"last": ""})
    opened = CorpusIndex.load(tmp_path, model)
    copy = engine.minhash(TEXTS[0])  # a near-copy of the oldest article, published last
    x = model.sparse([TEXTS[0]])
    at = rows[-1].published + day
    stories = opened.stories_near(copy.hashvalues.astype(np.uint32), at)
    # the near-copy, the article in the window, and the highest story number (the same row)
    assert set(stories.story_of) == {100, 109}
    everything = engine.StoryIndex(**engine.story_options(0))
    for r in rows:
        everything.restore(r.article_id, r.story, engine.minhash(TEXTS[r.article_id - 100]),
                           r.x, r.z, r.published)  # fmt: skip
    z = model.dense(x)[0]
    assert (
        stories.add(200, copy, x, z, at) == everything.add(200, copy, x, z, at) == (0, "duplicate")
    )
    new = make_row(model, 10, "Copper smelters in Zambia cut output as prices climb", story=10)
    new.published = at + 10
    opened.add([new])  # appended rows are found by their bands without re-sorting them
    again = engine.minhash("Copper smelters in Zambia cut output as prices climb")
    assert opened.near_copy(again, bar=0.9) == (110, 1.0)
    assert 110 in opened.stories_near(again.hashvalues.astype(np.uint32), at + 20).story_of


def _copies_corpus(model: engine.Model) -> list[IndexRow]:
    """TEXTS three times over under scattered ids (exact copies tie on their Jaccard), some a
    day apart, some outside each other's window, and the last one copied at once."""
    rows = []
    for k, text in enumerate([*TEXTS * 3, TEXTS[-1]]):
        row = make_row(model, k, text, story=-1)
        row.article_id = 7919 * (k + 3) % 100_003
        row.published = 1_700_000_000.0 + 3600 * k + 86400 * (k // 10) * 2
        rows.append(row)
    return rows


def test_the_rows_of_the_index_share_bands_in_datasketch_s_order(model):
    rows = _copies_corpus(model)
    index = built(model, rows)
    held = index.stories_over_rows()
    copied = engine.StoryIndex(**engine.story_options(0))
    for row in rows:
        signature = engine.minhash_load(row.signature.tobytes())
        assert held.rows.sharing_band(signature) == copied.rows.sharing_band(signature)
        for stories in (held, copied):
            stories.restore(row.article_id, 1, signature, row.x, row.z, row.published)
    for row in rows:
        signature = engine.minhash_load(row.signature.tobytes())
        found = held.rows.sharing_band(signature)
        assert len(found) >= 3  # its copies
        assert found == copied.rows.sharing_band(signature)


@pytest.mark.parametrize("linkage", ["single", "average"])
@pytest.mark.parametrize("search", [False, True])
def test_clustering_over_the_index_s_rows_equals_clustering_over_copies(model, linkage, search):
    """A rebuild clusters with a story index that reads the corpus index's arrays; it forms the
    same stories, by the same links, as one holding its own copies (the old rebuild's)."""
    rows = _copies_corpus(model)
    index = built(model, rows)
    options = engine.story_options(4 if linkage == "average" else 0)
    options["regroup_every"] = 3600.0 * 5 if linkage == "average" else 0.0
    if linkage == "single":  # some articles join on content, some do not
        options["threshold"] = options["headline_threshold"] = 0.5
    held = engine.StoryIndex(**options, rows=index.stories_over_rows().rows)
    copied = engine.StoryIndex(**options)
    corpus = index.corpus
    for i, row in enumerate(rows):
        signature = engine.minhash_load(index.signature(i).tobytes())
        # graph candidates: a few rows by id, some not yet taken
        candidates = (
            np.array([rows[j].article_id for j in range(0, len(rows), 3)]) if search else None
        )
        vectors = (signature, corpus.X[i], corpus.Z[i], row.published, candidates)
        links = [stories.nearest(row.article_id, *vectors) for stories in (held, copied)]
        assert links[0] == links[1]  # the same article, by the same link, exactly as close
        assert held.add(row.article_id, *vectors) == copied.add(row.article_id, *vectors)
    assert held.story_of == copied.story_of
    assert held.merges == copied.merges and held.moves == copied.moves
    assert len(held) < len(rows)  # copies joined stories
