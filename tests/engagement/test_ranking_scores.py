"""Ranking from forward-decayed sums per article, window and scope (`RankingScore`)."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from masthead.engagement import counters, ranking
from masthead.engagement.models import ArticleActivity, RankingClock, RankingScore
from masthead.news.models import ArticlePage

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def by_formula(*, window: timedelta, prefix: str, now: datetime) -> list[tuple[int, float]]:
    """The per-query formula: hourly activity weighted by `hour_weights`, summed per article."""
    weights = ranking.hour_weights(window=window, now=now)
    scores: dict[int, float] = {}
    for row in ArticleActivity.objects.filter(hour__in=list(weights), path__startswith=prefix):
        amount = ranking.activity_score(views=row.view_count, reactions=row.reaction_count)
        scores[row.article_id] = scores.get(row.article_id, 0.0) + amount * weights[row.hour]
    ranked = [(a, s) for a, s in scores.items() if s > 1e-9]
    return sorted(ranked, key=lambda item: (-item[1], -item[0]))


def random_activity(articles: list[ArticlePage], *, hours: int, seed: int, then=None) -> None:
    """Bursts of views and reactions (some withdrawn) in random hours, applied in time order;
    `then(hour)` runs after each hour's activity."""
    rng = random.Random(seed)
    for h in range(hours):
        hour = START + timedelta(hours=h)
        rows = {}
        for article in rng.sample(articles, k=rng.randint(0, len(articles))):
            reactions = rng.choice([0, 0, 1, -1]) if h else 0
            rows[(article.pk, hour, article.path)] = (rng.randint(1, 40), reactions)
        counters.activity_add(rows=rows)
        if then is not None:
            then(h)


@pytest.fixture
def articles(home):
    """Eight articles and no Ranking state yet (the clocks start with this test's activity)."""
    RankingScore.objects.all().delete()
    RankingClock.objects.all().delete()
    ArticleActivity.objects.all().delete()
    return list(ArticlePage.objects.live().order_by("pk")[:8])


def test_the_lists_follow_the_per_query_formula_as_hours_leave_each_window(articles, home):
    markets = articles[0].get_parent().get_parent()
    checks = {0, 1, 4, 30, 70, 24 * 3 + 1, 24 * 8, 24 * 9 + 2}

    def check(h: int) -> None:
        if h not in checks:
            return
        # Minute 40 keeps the current hour's middle behind now, where both formulas agree.
        now = START + timedelta(hours=h, minutes=40)
        for window in ranking.WINDOWS.values():
            for prefix in (home.path, markets.path):
                got = counters.ranking_scores_top(window=window, prefix=prefix, now=now, limit=8)
                want = by_formula(window=window, prefix=prefix, now=now)[:8]
                assert [a for a, _ in got] == [a for a, _ in want], (h, window, prefix)
                assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-6)

    random_activity(articles, hours=24 * 9 + 3, seed=3, then=check)


def test_rows_whose_activity_left_the_window_are_deleted(articles, home):
    a, b = articles[:2]
    counters.activity_add(rows={(a.pk, START, a.path): (5, 0)})
    counters.activity_add(rows={(b.pk, START + timedelta(hours=3), b.path): (5, 0)})
    later = START + timedelta(hours=3, minutes=40)
    assert [
        i
        for i, _ in counters.ranking_scores_top(
            window=ranking.WINDOWS["1h"], prefix=home.path, now=later, limit=8
        )
    ] == [b.pk]
    assert not RankingScore.objects.filter(window_name="1h", article_id=a.pk).exists()
    assert RankingScore.objects.filter(window_name="24h", article_id=a.pk).exists()


def test_a_late_event_for_an_hour_that_left_the_window_is_not_counted_there(articles, home):
    a, b = articles[:2]
    counters.activity_add(rows={(b.pk, START + timedelta(hours=5), b.path): (1, 0)})
    now = START + timedelta(hours=5, minutes=40)
    counters.ranking_scores_top(window=ranking.WINDOWS["1h"], prefix=home.path, now=now, limit=8)
    counters.activity_add(rows={(a.pk, START + timedelta(hours=1), a.path): (50, 0)})
    top = counters.ranking_scores_top(
        window=ranking.WINDOWS["1h"], prefix=home.path, now=now, limit=8
    )
    assert [i for i, _ in top] == [b.pk]
    day = counters.ranking_scores_top(
        window=ranking.WINDOWS["24h"], prefix=home.path, now=now, limit=8
    )
    assert [i for i, _ in day] == [a.pk, b.pk]


def test_sums_are_rescaled_when_the_landmark_falls_far_behind(articles, home):
    a, b = articles[:2]
    counters.activity_add(rows={(a.pk, START, a.path): (3, 0)})
    far = START + timedelta(days=40)  # 3,840 half-lives of the 1 h window: 2**3840 overflows
    counters.activity_add(rows={(a.pk, far, a.path): (3, 0), (b.pk, far, b.path): (5, 0)})
    now = far + timedelta(minutes=40)
    top = counters.ranking_scores_top(
        window=ranking.WINDOWS["1h"], prefix=home.path, now=now, limit=8
    )
    want = by_formula(window=ranking.WINDOWS["1h"], prefix=home.path, now=now)
    assert [i for i, _ in top] == [b.pk, a.pk] == [i for i, _ in want]
    assert [s for _, s in top] == pytest.approx([s for _, s in want])
    assert RankingClock.objects.get(window_name="1h").landmark > START


def test_a_rebuild_from_hourly_activity_equals_the_incremental_sums(articles, home):
    random_activity(articles, hours=24 * 3, seed=5)
    now = START + timedelta(hours=24 * 3, minutes=40)
    window = ranking.WINDOWS["24h"]
    incremental = counters.ranking_scores_top(window=window, prefix=home.path, now=now, limit=8)
    counters.ranking_scores_rebuild(now=now)
    rebuilt = counters.ranking_scores_top(window=window, prefix=home.path, now=now, limit=8)
    assert [a for a, _ in rebuilt] == [a for a, _ in incremental]
    assert [s for _, s in rebuilt] == pytest.approx([s for _, s in incremental], rel=1e-6)


def test_a_list_is_a_constant_number_of_queries_whatever_the_history(
    articles, home, django_assert_max_num_queries
):
    random_activity(articles, hours=24 * 2, seed=7)
    now = START + timedelta(hours=24 * 2, minutes=40)
    window = ranking.WINDOWS["7d"]
    counters.ranking_scores_top(window=window, prefix=home.path, now=now, limit=8)
    with django_assert_max_num_queries(5):
        counters.ranking_scores_top(window=window, prefix=home.path, now=now, limit=8)
