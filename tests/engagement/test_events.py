import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from masthead.engagement import selectors, services
from masthead.engagement.models import QueuedView, ReaderView, SeenEvent, WidgetClick
from masthead.engagement.readers import Reader as Identity
from tests.engagement.conftest import BROWSER


def test_a_view_is_counted_once_per_reader_per_article(reader, article, flushed):
    assert reader.view(article.pk).json() == {"counted": True}
    assert reader.view(article.pk).json() == {"counted": False}
    flushed()
    assert selectors.view_count(article_id=article.pk) == 1


def test_another_reader_counts_again(make_reader, article, flushed):
    for _ in range(3):
        assert make_reader().view(article.pk).json() == {"counted": True}
    flushed()
    assert selectors.view_count(article_id=article.pk) == 3


def test_the_same_reader_counts_again_after_30_minutes(article, flushed):
    reader = Identity(id="a" * 32, is_private=False, is_new=False)
    start = timezone.now() - timedelta(hours=2)
    assert services.view_record(reader=reader, article_id=article.pk, at=start)
    assert not services.view_record(
        reader=reader, article_id=article.pk, at=start + timedelta(minutes=29)
    )
    assert services.view_record(
        reader=reader, article_id=article.pk, at=start + timedelta(minutes=31)
    )
    flushed()
    assert selectors.view_count(article_id=article.pk) == 2


@pytest.mark.parametrize("agent", ["Googlebot/2.1", "curl/8.0", "python-requests/2.32", ""])
def test_bots_are_not_counted(client, article, agent, flushed):
    response = client.post(
        "/api/v1/events",
        json.dumps({"type": "view", "article": article.pk}),
        content_type="application/json",
        HTTP_USER_AGENT=agent,
    )
    assert response.status_code == 202 and response.json() == {"counted": False}
    flushed()
    assert selectors.view_count(article_id=article.pk) == 0


def test_a_private_reader_is_counted_but_has_no_history(make_reader, article, flushed):
    for header in ({"HTTP_SEC_GPC": "1"}, {"HTTP_DNT": "1"}):
        reader = make_reader(**header)
        assert reader.view(article.pk, **header).json() == {"counted": True}
    flushed()
    assert selectors.view_count(article_id=article.pk) == 2
    assert not ReaderView.objects.exists()


def test_an_ordinary_readers_view_is_kept_in_history(reader, article, flushed):
    reader.view(article.pk)
    flushed()
    assert ReaderView.objects.filter(article=article).count() == 1


def test_the_first_event_issues_a_signed_reader_cookie(client, article):
    response = client.post(
        "/api/v1/events",
        json.dumps({"type": "view", "article": article.pk}),
        content_type="application/json",
        HTTP_USER_AGENT=BROWSER,
    )
    cookie = response.cookies["mh_reader"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert ":" in cookie.value  # value:signature


def test_a_forged_reader_id_is_a_new_reader_and_gets_a_real_one(client, article, flushed):
    client.cookies["mh_reader"] = "0123456789abcdef0123456789abcdef:forged"
    response = client.post(
        "/api/v1/events",
        json.dumps({"type": "view", "article": article.pk}),
        content_type="application/json",
        HTTP_USER_AGENT=BROWSER,
    )
    assert response.status_code == 202
    replacement = response.cookies["mh_reader"].value
    assert not replacement.startswith("0123456789abcdef0123456789abcdef")
    flushed()
    assert not ReaderView.objects.filter(reader_id="0123456789abcdef0123456789abcdef").exists()


def test_a_cross_site_beacon_is_refused(reader, article):
    response = reader.view(article.pk, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


def test_widget_clicks_are_recorded_once(reader, article, home):
    from masthead.news.models import ArticlePage

    target = ArticlePage.objects.live().exclude(pk=article.pk).first()
    payload = {"type": "click", "widget": "ranking", "article": article.pk, "target": target.pk}
    for expected in (True, False):
        response = reader.client.post(
            "/api/v1/events", json.dumps(payload), content_type="application/json"
        )
        assert response.json() == {"counted": expected}
    assert WidgetClick.objects.filter(widget="ranking", article=article, target=target).count() == 1


@pytest.mark.parametrize(
    "body,content_type,status",
    [
        ("{not json", "application/json", 400),
        (json.dumps({"type": "view"}), "application/json", 422),
        (json.dumps({"type": "like", "article": 1}), "application/json", 422),
        (json.dumps({"type": "view", "article": -5}), "application/json", 422),
        (json.dumps({"type": "view", "article": 999999}), "application/json", 404),
        (
            json.dumps({"type": "click", "widget": "bogus", "article": 1, "target": 2}),
            "application/json",
            422,
        ),
        ("type=view&article=1", "application/x-www-form-urlencoded", 400),
        (json.dumps({"type": "view", "article": 1, "pad": "x" * 20_000}), "application/json", 413),
    ],
)
def test_bad_events_get_a_clear_json_error_and_change_nothing(
    reader, article, body, content_type, status, flushed
):
    response = reader.client.post("/api/v1/events", body, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    flushed()
    assert selectors.view_count(article_id=article.pk) == 0


def test_a_view_of_an_unpublished_article_is_refused(reader, make_article, flushed):
    draft = make_article(title="Soon")
    draft.unpublish()
    assert reader.view(draft.pk).status_code == 404


def test_the_noscript_pixel_counts_a_view(client, article, flushed):
    response = client.get(
        f"/events/pixel/{article.pk}.gif",
        HTTP_USER_AGENT=BROWSER,
        HTTP_REFERER=f"http://testserver{article.url}",
    )
    assert response["Content-Type"] == "image/gif"
    flushed()
    assert selectors.view_count(article_id=article.pk) == 1


def test_the_pixel_without_our_page_as_referer_counts_nothing(client, article, flushed):
    client.get(f"/events/pixel/{article.pk}.gif", HTTP_USER_AGENT=BROWSER)
    flushed()
    assert selectors.view_count(article_id=article.pk) == 0


def test_the_beacon_is_answered_ahead_of_the_middleware_stack(reader, article, flushed):
    response = reader.view(article.pk)
    assert response.status_code == 202 and response.json() == {"counted": True}
    # The page middleware's headers are absent: no other middleware saw the request.
    assert "Content-Security-Policy" not in response
    assert response["Cache-Control"] == "private, no-cache"
    flushed()
    assert selectors.view_count(article_id=article.pk) == 1


def test_a_throttled_beacon_gets_a_429_with_retry_after(reader, article, settings):
    settings.MASTHEAD_EVENT_RATE_IP = "1/m"
    assert reader.view(article.pk).status_code == 202
    limited = reader.view(article.pk)
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too many requests."}
    assert int(limited["Retry-After"]) >= 1


def _stored_rows() -> tuple[int, int]:
    """Rows a view beacon writes in SQL: de-duplication marks and queued views."""
    return SeenEvent.objects.count(), QueuedView.objects.count()


@pytest.mark.skipif(bool(django_settings.REDIS_URL), reason="the SQL counters' rows")
def test_a_beacon_within_budget_writes_exactly_one_view(reader, article, settings, flushed):
    settings.MASTHEAD_EVENT_RATE_IP = "1/m"
    before = _stored_rows()
    assert reader.view(article.pk).status_code == 202
    assert _stored_rows() == (before[0] + 1, before[1] + 1)
    flushed()
    assert selectors.view_count(article_id=article.pk) == 1


@pytest.mark.skipif(bool(django_settings.REDIS_URL), reason="the SQL counters' rows")
def test_a_beacon_over_budget_writes_nothing(make_reader, article, make_article, settings):
    settings.MASTHEAD_EVENT_RATE_IP = "1/m"
    other = make_article(title="Another")
    reader = make_reader()
    assert reader.view(article.pk).status_code == 202
    before = _stored_rows()
    limited = reader.view(other.pk)
    assert limited.status_code == 429
    assert _stored_rows() == before


def test_a_beacon_over_budget_counts_nothing(make_reader, article, make_article, settings, flushed):
    settings.MASTHEAD_EVENT_RATE_IP = "1/m"
    other = make_article(title="Another")
    assert make_reader().view(article.pk).status_code == 202
    assert make_reader().view(other.pk).status_code == 429
    flushed()
    assert selectors.view_count(article_id=article.pk) == 1
    assert selectors.view_count(article_id=other.pk) == 0
