import pytest

from masthead.news.models import ArticlePage, ChannelPage


def results(response) -> list[ArticlePage]:
    return list(response.context["results"])


def test_search_finds_articles_by_a_word_of_their_title(client, make_article):
    article = make_article(title="Zanzibar spice exports soar")
    response = client.get("/search/", {"q": "zanzibar"})
    assert response.status_code == 200
    assert [a.pk for a in results(response)] == [article.pk]
    assert "Zanzibar spice exports soar" in response.content.decode()


def test_search_filters_by_channel_including_sub_channels(client, make_article):
    make_article(title="Quokka market rally")
    make_article(title="Quokka football final", channel=ChannelPage.objects.get(slug="sports"))
    markets = ChannelPage.objects.get(slug="markets")
    found = results(client.get("/search/", {"q": "quokka", "channel": markets.pk}))
    assert [a.title for a in found] == ["Quokka market rally"]


def test_search_can_order_by_newest(client, make_article):
    from datetime import timedelta

    from django.utils import timezone

    older = make_article(title="Okapi report", published_at=timezone.now() - timedelta(days=2))
    newer = make_article(title="Okapi update", published_at=timezone.now() - timedelta(days=1))
    found = results(client.get("/search/", {"q": "okapi", "order": "newest"}))
    assert [a.pk for a in found] == [newer.pk, older.pk]


def test_title_hits_rank_before_body_hits(client, make_article):
    body_hit = make_article(
        title="Harbour news",
        body=[("paragraph", "<p>The wombat was seen near the harbour.</p>")],
    )
    title_hit = make_article(title="Wombat sighting")
    found = results(client.get("/search/", {"q": "wombat"}))
    assert [a.pk for a in found] == [title_hit.pk, body_hit.pk]


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "AND OR NOT", "(((", "*", "copper NEAR(", "-", "\x00", "€€€", "'; DROP TABLE"],
)
def test_a_malformed_query_shows_the_page_not_an_error(client, home, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_an_oversized_query_is_cut_with_a_message(client, home):
    response = client.get("/search/", {"q": "copper " * 200})
    assert response.status_code == 200
    assert len(response.context["search"].query) == 200
    assert "cut to its first 200 characters" in response.content.decode()


def test_the_query_is_never_reflected_unescaped(client, home):
    html = client.get("/search/", {"q": '<script>alert("x")</script>'}).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("params", [{"channel": "abc"}, {"channel": "999999"}, {"order": "up"}])
def test_bad_filters_fall_back_to_defaults(client, home, params):
    response = client.get("/search/", {"q": "shares", **params})
    assert response.status_code == 200


def test_an_empty_query_shows_the_form(client, home):
    response = client.get("/search/")
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()
