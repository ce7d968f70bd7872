from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from masthead.demo.services import corpus_generate
from masthead.discovery import services as discovery_services
from masthead.discovery.services import index_rebuild
from masthead.news.models import ArticlePage, ChannelPage, HomePage

CORPUS_SIZE = 60


FLUSHING_FIXTURES = {"transactional_db", "live_server"}


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: runs once, in the SQLite pass")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests that flush the database at teardown run last, those that read the shared corpus
    first among them: the corpus is generated once per session and a flush takes it away (the
    multi-process tests commit outside a test transaction and would run after them otherwise).
    None of ours does today (a flush would also leave `--reuse-db` a database without the pages
    the migrations create); this keeps a new one from breaking the others."""

    def flushes(item) -> tuple[bool, bool]:
        fixtures = set(getattr(item, "fixturenames", ()))
        return bool(fixtures & FLUSHING_FIXTURES), "corpus" not in fixtures

    items.sort(key=lambda item: flushes(item) if flushes(item)[0] else (False, False))


@pytest.fixture(scope="session")
def corpus(django_db_setup, django_db_blocker):
    """A small demo corpus, generated once per test session and shared read-only."""
    with django_db_blocker.unblock():
        if not ArticlePage.objects.exists():
            corpus_generate(articles=CORPUS_SIZE, seed=11, with_images=True)
            index_rebuild()
        yield HomePage.objects.get()


@pytest.fixture(autouse=True)
def fresh_cache():
    from masthead.engagement.selectors import ranking_served_forget
    from masthead.engagement.services import live_path_forget

    cache.clear()
    live_path_forget()
    ranking_served_forget()
    discovery_services.index_forget()
    yield


@pytest.fixture
def home(corpus, db) -> HomePage:
    return corpus


@pytest.fixture
def stocks(home) -> ChannelPage:
    return ChannelPage.objects.get(slug="stocks")


@pytest.fixture
def make_article(stocks):
    """Publish a new article through Wagtail's normal path (revision + publish)."""

    def make(title="A fresh article about copper", channel=None, **fields) -> ArticlePage:
        parent = channel or stocks
        fields.setdefault("dek", "Copper prices rose for a third day.")
        fields.setdefault(
            "body", [("paragraph", "<p>Traders in London bought copper futures.</p>")]
        )
        article = ArticlePage(title=title, live=False, **fields)
        parent.add_child(instance=article)
        article.save_revision().publish()
        article.refresh_from_db()
        return article

    return make


FIXED_NOW = datetime(2025, 4, 9, 0, 11, 29, tzinfo=UTC)
