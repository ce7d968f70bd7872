import re

import pytest
from django.test import Client, override_settings

from masthead.engagement import selectors
from masthead.engagement.models import Reaction
from tests.engagement.conftest import BROWSER


def count(article) -> int:
    return selectors.reaction_counts(article_id=article.pk)["verygood"]


def test_a_reaction_is_one_per_reader_and_replays_change_nothing(reader, article):
    first = reader.react(article.pk, active=True)
    assert first.status_code == 200
    assert first.json() == {"kind": "verygood", "label": "veryGood!", "count": 1, "active": True}
    assert reader.react(article.pk, active=True).json()["count"] == 1  # replayed
    assert Reaction.objects.filter(article=article).count() == 1


def test_clicking_again_withdraws_the_reaction(reader, article):
    reader.react(article.pk, active=True)
    withdrawn = reader.react(article.pk, active=False).json()
    assert withdrawn == {"kind": "verygood", "label": "veryGood!", "count": 0, "active": False}
    assert reader.react(article.pk, active=False).json()["count"] == 0
    assert count(article) == 0


def test_counts_add_up_over_readers(make_reader, article):
    readers = [make_reader() for _ in range(3)]
    for r in readers:
        r.react(article.pk, active=True)
    readers[0].react(article.pk, active=False)
    assert count(article) == 2 == Reaction.objects.filter(article=article).count()


def test_the_article_page_shows_each_kind_with_its_count(client, reader, article):
    reader.react(article.pk, active=True)
    html = client.get(article.url).content.decode()
    assert re.search(
        r'<span class="reaction__label">veryGood!</span> \(<span class="reaction__count">1</span>\)',
        html,
    )


@override_settings(MASTHEAD_REACTION_KINDS={"verygood": "veryGood!", "sad": "Sad"})
def test_reaction_kinds_are_configurable(client, reader, article):
    assert reader.react(article.pk, active=True, kind="sad").json()["label"] == "Sad"
    html = client.get(article.url).content.decode()
    assert "veryGood!" in html and "Sad</span>" in html
    context = reader.client.get(f"/api/v1/articles/{article.pk}/reader-context").json()
    assert [(r["kind"], r["active"]) for r in context["reactions"]] == [
        ("verygood", False),
        ("sad", True),
    ]


def test_a_reaction_without_the_csrf_token_is_refused(reader, article):
    response = reader.react(article.pk, active=True, csrf=False)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert count(article) == 0


def test_a_reaction_with_a_forged_reader_id_is_refused(reader, article):
    reader.client.cookies["mh_reader"] = "f" * 32 + ":notasignature"
    response = reader.react(article.pk, active=True)
    assert response.status_code == 403
    assert "earlier visit" in response.json()["error"]
    assert count(article) == 0


def test_an_unknown_kind_or_article_is_a_404(reader, article):
    assert reader.react(article.pk, active=True, kind="love").status_code == 404
    assert reader.react(999_999, active=True).status_code == 404
    assert count(article) == 0


@pytest.mark.parametrize("body", ["{", '{"active": "maybe"}', "[]", ""])
def test_a_malformed_reaction_changes_nothing(reader, article, body):
    response = reader.client.put(
        f"/api/v1/articles/{article.pk}/reactions/verygood",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=reader.csrf,
    )
    assert 400 <= response.status_code < 500
    assert count(article) == 0


def test_reactions_are_rate_limited_per_reader(reader, article, settings):
    settings.MASTHEAD_REACTION_RATE_READER = "30/h"  # a slow refill keeps the test exact
    statuses = [reader.react(article.pk, active=i % 2 == 0).status_code for i in range(30)]
    assert statuses == [200] * 30
    limited = reader.react(article.pk, active=True)
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too many requests."}
    assert int(limited["Retry-After"]) >= 1
    assert reader.client.get(article.url).status_code == 200  # the page stays usable


def test_reactions_are_rate_limited_per_network(make_reader, article, settings):
    settings.MASTHEAD_REACTION_RATE_IP = "12/h"
    sent = 0
    while sent < 12:  # several readers, each under the per-reader limit, from one address
        r = make_reader()
        for _ in range(min(5, 12 - sent)):
            assert r.react(article.pk, active=True).status_code == 200
            sent += 1
    assert make_reader().react(article.pk, active=True).status_code == 429


def test_the_plain_form_works_without_javascript(article):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    page = client.get(f"/articles/{article.pk}/react/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        f"/articles/{article.pk}/react/",
        {"csrfmiddlewaretoken": token, "kind": "verygood", "active": "1"},
    )
    assert response.status_code == 303
    assert response["Location"] == f"{article.url}#reactions"
    assert count(article) == 1
    again = client.get(f"/articles/{article.pk}/react/").content.decode()
    assert "veryGood! (1)" in again and 'name="active" value="0"' in again


def test_the_plain_form_refuses_a_post_without_csrf(article):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    response = client.post(f"/articles/{article.pk}/react/", {"kind": "verygood", "active": "1"})
    assert response.status_code == 403
    assert count(article) == 0
