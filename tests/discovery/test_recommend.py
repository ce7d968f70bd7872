"""One recommendation scorer: the site and the offline evaluation rank alike."""

from datetime import timedelta

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.cache import cache
from django.utils import timezone

from masthead.discovery import interface, recommend
from masthead.discovery.models import ArticleProfile
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader
from masthead.engagement.selectors import ranking_cache_key
from masthead.evaluation import replay as ev
from masthead.news.models import ArticlePage
from masthead.news.stories import headline_key

pytestmark = pytest.mark.django_db
READER = "f" * 32
K = 6


def test_the_scorer_has_no_click_through_signal_the_site_cannot_compute():
    assert "ctr" not in recommend.WEIGHTS and "recent_ctr" not in recommend.WEIGHTS
    assert set(recommend.WEIGHTS) == set(recommend.SOURCES)


def test_a_reader_without_history_gets_only_trending_fresh_and_picks():
    signals = recommend.Signals(now=100.0, published={1: 100.0, 2: 50.0}, trending={3: 5.0})
    sources, _ = recommend.recommend_sources(signals)
    assert set(sources) == {"fresh", "picks", "trending"}
    top = recommend.recommend_score(signals)
    assert [s.id for s in top][:1] == [3]  # trending weighs more than fresh


def test_reads_further_back_count_less():
    history = [recommend.Read(1, content=[(10, 1.0)]), recommend.Read(2, content=[(20, 1.0)])]
    signals = recommend.Signals(now=0.0, published={}, trending={}, history=history)
    sources, because = recommend.recommend_sources(signals)
    assert sources["content"][10] > sources["content"][20]
    assert because[("content", 20)] == 2
    assert 1 not in {s.id for s in recommend.recommend_score(signals)}


@pytest.fixture
def fixture(corpus):
    """One reader, two reads with fixed neighbours, a fixed trending list: stored for the site."""
    fresh, _, _, site_path = interface._fresh_and_picks()
    pool = [a for a, _ in fresh]
    stories = dict(ArticleProfile.objects.values_list("article_id", "story"))
    channel = dict(ArticleProfile.objects.values_list("article_id", "channel_path"))
    singles = [a for a in pool if list(stories.values()).count(stories[a]) == 1]
    read = singles[:2]
    others = [a for a in pool if a not in read]
    rng = np.random.default_rng(5)
    neighbours = {
        h: {
            "like": [
                (int(a), round(float(rng.random()), 3))
                for a in rng.choice(others, 5, replace=False)
            ],
            "related": [
                (int(a), round(float(rng.random()), 3))
                for a in rng.choice(others, 8, replace=False)
            ],
        }
        for h in read
    }
    for h, rows in neighbours.items():
        ArticleProfile.objects.filter(pk=h).update(
            like=[[a, s, "Readers of this also read"] for a, s in rows["like"]],
            related=[[a, s, "Similar subject", stories[a]] for a, s in rows["related"]],
        )
    trending = {
        int(a): float(s) for a, s in zip(others[::3], rng.random(len(others[::3])), strict=True)
    }
    ranked = sorted(trending.items(), key=lambda x: -x[1])
    cache.set(ranking_cache_key(window=interface.WINDOW, within_path=site_path), ranked)
    for path in {channel[h] for h in read}:
        in_channel = [(a, s) for a, s in ranked if channel[a] == path]
        cache.set(ranking_cache_key(window=interface.WINDOW, within_path=path), in_channel)
    now = timezone.now()
    ReaderView.objects.bulk_create(
        ReaderView(reader_id=READER, article_id=h, viewed_at=now - timedelta(minutes=i))
        for i, h in enumerate(read)  # read[0] is the most recent
    )
    return dict(
        fresh=fresh,
        read=read,
        neighbours=neighbours,
        trending=trending,
        channel=channel,
        stories=stories,
    )


def replay_top(f: dict) -> list[int]:
    """The same fixture as the offline evaluation holds it, ranked by its blend."""
    ids = [a for a, _ in f["fresh"]]
    index = {a: i for i, a in enumerate(ids)}
    published = np.array([t for _, t in f["fresh"]])
    catalogue = ev.Catalogue(ids=ids, published=published, channel=[f["channel"][a] for a in ids])
    sources = ev.Sources(catalogue)
    now = float(published.max())
    sources.t0 = now  # growth 1 at `now`: recent counts are the trending scores
    for a, score in f["trending"].items():
        sources.recent[index[a]] = score
    sources.sessions_of[:] = 1.0  # so co-visitation similarity is the stored count
    rows, cols, data = [], [], []
    for h, lists in f["neighbours"].items():
        for a, s in lists["like"]:
            sources.co[index[h]][index[a]] = max(sources.co[index[h]][index[a]], s)
        for a, s in lists["related"]:
            rows.append(index[h])
            cols.append(index[a])
            data.append(s)
    matrix = sp.coo_matrix((data, (rows, cols)), shape=(len(ids), len(ids)))
    sources.neighbours = matrix.tocsr()
    sources.neighbours.sum_duplicates()
    sources.history["reader"] = [index[h] for h in reversed(f["read"])]  # oldest first
    read = {index[h] for h in f["read"]}
    cands = np.array([i for i in range(len(ids)) if i not in read])
    score = ev.blend_arrays(sources.scores("reader", now, cands), recommend.WEIGHTS)
    order = [ids[int(cands[i])] for i in np.lexsort((cands, -score))]
    # What the site does after scoring: one per story and headline, none of a read story.
    seen = {f["stories"][h] for h in f["read"]}
    titles: set[str] = set()
    out = []
    headlines = dict(ArticlePage.objects.filter(pk__in=ids).values_list("pk", "title"))
    for a in order:
        title = headline_key(headlines[a])
        if f["stories"][a] in seen or title in titles:
            continue
        seen.add(f["stories"][a])
        titles.add(title)
        out.append(a)
    return out[:K]


def test_the_site_and_the_offline_evaluation_give_the_same_top_k(fixture):
    reader = Reader(id=READER, is_private=False, is_new=False)
    site = [i.article.pk for i in interface.recommend(reader, None, limit=K)]
    assert len(site) == K
    assert site == replay_top(fixture)


def test_blend_scales_each_source_to_its_best_candidate():
    total = recommend.blend({"a": {1: 10.0, 2: 5.0}, "b": {2: 0.2}}, {"a": 1.0, "b": 2.0})
    assert total == {1: pytest.approx(1.0), 2: pytest.approx(0.5 + 2.0)}
