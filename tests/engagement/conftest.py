import json

import pytest
from django.conf import settings
from django.test import Client

from masthead.engagement import counters
from masthead.news.models import ArticlePage

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"


class Reader:
    """A browser-like client with its own reader cookie and CSRF token."""

    def __init__(self, article_id: int, **headers):
        self.client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER, **headers)
        context = self.client.get(f"/api/v1/articles/{article_id}/reader-context").json()
        self.csrf = context["csrf_token"]

    def view(self, article_id: int, **headers):
        return self.client.post(
            "/api/v1/events",
            json.dumps({"type": "view", "article": article_id}),
            content_type="application/json",
            **headers,
        )

    def react(self, article_id: int, active: bool, kind: str = "verygood", csrf: bool = True):
        headers = {"HTTP_X_CSRFTOKEN": self.csrf} if csrf else {}
        return self.client.put(
            f"/api/v1/articles/{article_id}/reactions/{kind}",
            json.dumps({"active": active}),
            content_type="application/json",
            **headers,
        )


@pytest.fixture
def article(home) -> ArticlePage:
    return ArticlePage.objects.live().order_by("pk").first()


@pytest.fixture
def reader(article):
    return Reader(article.pk)


@pytest.fixture
def make_reader(article):
    return lambda **headers: Reader(article.pk, **headers)


@pytest.fixture
def flushed():
    """Move queued events into SQL (Redis backend) before reading totals."""
    return lambda: counters.backend().flush()


@pytest.fixture(autouse=True)
def clean_redis():
    if settings.REDIS_URL:
        backend = counters.backend()
        backend.redis.flushdb()
    yield
