"""Search queries counted anonymously per hour, from the search page."""

import pytest

from masthead.news.models import ArticlePage
from masthead.news.search_log import SearchQueryHour, query_normalise

pytestmark = pytest.mark.django_db


def test_queries_are_normalised_to_their_words_in_lower_case():
    assert query_normalise("  Copper,  PRICES!! ") == "copper prices"
    assert len(query_normalise("x" * 500)) == 100


def test_each_first_results_page_counts_once_and_empty_results_are_counted_apart(client, home):
    word = ArticlePage.objects.live().first().title.split()[0]
    client.get(f"/search/?q={word}")
    client.get(f"/search/?q={word.upper()}")
    client.get(f"/search/?q={word}&page=2")  # paging through results is not a new search
    client.get("/search/?q=zzqxnotaword")
    client.get("/search/?q=")
    rows = {r.query: (r.search_count, r.zero_result_count) for r in SearchQueryHour.objects.all()}
    assert rows == {word.lower(): (2, 0), "zzqxnotaword": (1, 1)}
