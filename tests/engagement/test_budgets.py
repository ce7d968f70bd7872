"""Counts that cookies cannot buy: a client that drops its reader cookie, rotates its address
inside one IPv6 /64 or its user agent gets a small fixed number of views and no reactions."""

import json
import re

import pytest
from django.test import Client

from masthead.engagement import selectors
from masthead.engagement.models import ArticleCounter, Reaction, ReaderView
from masthead.news.models import ArticlePage
from tests.engagement.conftest import BROWSER

PER_AGENT, PER_NETWORK = 10, 30


@pytest.fixture(autouse=True)
def production_budgets(settings):
    settings.MASTHEAD_READER_MINT_RATE = "1/m"
    settings.MASTHEAD_ANON_VIEW_RATE = f"{PER_AGENT}/h"
    settings.MASTHEAD_ANON_VIEW_RATE_NETWORK = f"{PER_NETWORK}/h"


@pytest.fixture
def articles(home) -> list[ArticlePage]:
    return list(ArticlePage.objects.live().order_by("pk")[:40])


def total_views(flushed) -> int:
    flushed()
    return sum(ArticleCounter.objects.filter(name="view").values_list("count", flat=True))


def beacon(article_id: int, address: str = "127.0.0.1", agent: str = BROWSER, cookie: str = ""):
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    if cookie:
        client.cookies["mh_reader"] = cookie
    return client.post(
        "/api/v1/events",
        json.dumps({"type": "view", "article": article_id}),
        content_type="application/json",
    )


def test_a_client_that_drops_its_cookie_counts_a_few_views_and_leaves_no_history(articles, flushed):
    for _ in range(3):
        for article in articles:
            assert beacon(article.pk).status_code == 202
    assert total_views(flushed) == PER_AGENT
    assert not ReaderView.objects.exists()


def test_rotating_addresses_inside_one_ipv6_64_buys_nothing(articles, flushed):
    for n, article in enumerate(articles * 2):
        beacon(article.pk, address=f"2001:db8:7:8::{n + 1:x}")
    assert total_views(flushed) == PER_AGENT


def test_rotating_user_agents_is_held_to_the_networks_budget(articles, flushed):
    for n, article in enumerate(articles * 2):
        beacon(article.pk, agent=f"{BROWSER} build/{n}")
    assert total_views(flushed) == PER_NETWORK


def test_another_network_has_its_own_budget(articles, flushed):
    for article in articles[:5]:
        beacon(article.pk, address="2001:db8:7:8::1")
        beacon(article.pk, address="2001:db8:7:9::1")
    assert total_views(flushed) == 10


def test_new_reader_ids_are_issued_sparingly_per_network(article):
    issued = [bool(beacon(article.pk).cookies.get("mh_reader")) for _ in range(5)]
    assert issued == [True, False, False, False, False]
    assert beacon(article.pk, address="2001:db8:7:8::1").cookies.get("mh_reader")


def test_an_established_reader_counts_by_its_id(articles, flushed):
    cookie = beacon(articles[0].pk).cookies["mh_reader"].value
    for article in articles:  # beyond the anonymous budget: an established reader is not held to it
        assert beacon(article.pk, cookie=cookie).json() == {"counted": True}
        assert beacon(article.pk, cookie=cookie).json() == {"counted": False}
    assert total_views(flushed) == 1 + len(articles)
    assert ReaderView.objects.count() == len(articles)


def csrf_client(article_id: int, address: str = "127.0.0.1") -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address, HTTP_USER_AGENT=BROWSER)
    token = client.get(f"/api/v1/articles/{article_id}/reader-context").json()["csrf_token"]
    return client, token


def test_a_reaction_never_counts_for_a_cookie_minted_by_the_same_request(article):
    client, token = csrf_client(article.pk)
    del client.cookies["mh_reader"]  # the client dropped it; the CSRF cookie it kept
    response = client.put(
        f"/api/v1/articles/{article.pk}/reactions/verygood",
        json.dumps({"active": True}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 403
    assert "earlier visit" in response.json()["error"]
    assert not Reaction.objects.exists()


def test_a_client_recycling_fresh_ids_gets_one_reaction_per_minute(article):
    """The strongest cookie-dropping client keeps each new id for one visit: page, then react."""
    counted = 0
    for _ in range(5):
        client, token = csrf_client(article.pk)
        response = client.put(
            f"/api/v1/articles/{article.pk}/reactions/verygood",
            json.dumps({"active": True}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        counted += response.status_code == 200
    assert counted == 1
    assert selectors.reaction_counts(article_id=article.pk)["verygood"] == 1


def test_the_noscript_pixel_keeps_to_the_same_budget(articles, flushed):
    client = Client(HTTP_USER_AGENT=BROWSER)
    for article in articles * 2:
        client.cookies.clear()
        client.get(
            f"/events/pixel/{article.pk}.gif", HTTP_REFERER=f"http://testserver{article.url}"
        )
    assert total_views(flushed) == PER_AGENT


def test_the_plain_form_refuses_a_reader_without_an_earlier_cookie(article):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    page = client.get(f"/articles/{article.pk}/react/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    del client.cookies["mh_reader"]
    response = client.post(
        f"/articles/{article.pk}/react/",
        {"csrfmiddlewaretoken": token, "kind": "verygood", "active": "1"},
    )
    assert response.status_code == 403
    assert "did not keep our reader cookie" in response.content.decode()
    assert not Reaction.objects.exists()


def test_the_plain_form_is_rate_limited(article, settings):
    settings.MASTHEAD_REACTION_RATE_READER = "3/h"
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    page = client.get(f"/articles/{article.pk}/react/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    statuses = [
        client.post(
            f"/articles/{article.pk}/react/",
            {"csrfmiddlewaretoken": token, "kind": "verygood", "active": str(n % 2)},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [303, 303, 303, 429]
