"""Purge requests to the front cache: every key sent, one process-wide client, failures logged."""

import http.server
import threading
import time

import pytest
from django.core.cache import cache
from django.db import transaction

from masthead.news import frontcache
from masthead.news.cache import CLOCK_SKEW_SECONDS, PURGED_PREFIX, keys_are_fresh, keys_purge


class Received(list):
    """The keys of each purge received, and (`times`) when each arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self.hard: list[bool] = []


@pytest.fixture
def purge_receiver():
    """A small HTTP server on loopback that answers PURGE and keeps what it was sent."""
    received = Received()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PURGE(self):
            received.times.append(time.time())
            received.append(self.headers["xkey-purge"])
            received.hard.append(self.headers.get("xkey-hard") == "1")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", received
    server.shutdown()
    server.server_close()


def test_each_purge_sends_its_keys_in_chunks_through_one_client(purge_receiver, settings):
    url, received = purge_receiver
    settings.MASTHEAD_FRONT_CACHE_URLS = [url]
    keys = [f"lists-{i}" for i in range(frontcache.KEYS_PER_REQUEST + 5)]

    frontcache.purge(["article-1", "latest"])
    client = frontcache._http()
    frontcache.purge(keys)

    assert frontcache._http() is client  # built once per process, not per purge
    assert received[0] == "article-1 latest"
    assert [len(r.split()) for r in received[1:]] == [frontcache.KEYS_PER_REQUEST, 5]
    assert " ".join(received[1:]).split() == keys


def test_a_front_cache_that_cannot_be_reached_is_logged_and_skipped(settings, caplog):
    settings.MASTHEAD_FRONT_CACHE_URLS = ["http://127.0.0.1:9/"]  # discard port: refused
    frontcache.purge(["article-1"])
    assert "not purged" in caplog.text


@pytest.mark.django_db
def test_a_change_purges_the_front_cache_when_it_commits_and_again_a_moment_after(
    purge_receiver, settings, django_capture_on_commit_callbacks
):
    """Not before the commit: a page fetched again then would show the content from before the
    change. A page fetched from gunicorn before the commit and stored by Varnish just after the
    commit's purge is removed by the repeat."""
    url, received = purge_receiver
    settings.MASTHEAD_FRONT_CACHE_URLS = [url]
    settings.MASTHEAD_FRONT_CACHE_REPURGE_MS = 200

    with django_capture_on_commit_callbacks(execute=True):
        keys_purge(["article-7", "latest"])
        assert received == []  # Django's cache is purged now; the front cache waits
    committed = time.monotonic()
    assert received == ["article-7 latest"]  # when it commits

    while len(received) < 2 and time.monotonic() - committed < 5:
        time.sleep(0.01)
    assert received == ["article-7 latest"] * 2
    assert time.monotonic() - committed >= 0.15  # not at once


@pytest.mark.django_db
def test_a_page_the_front_cache_fetches_as_the_purge_arrives_counts_as_built_after_it(
    purge_receiver, settings, django_capture_on_commit_callbacks
):
    """Varnish fetches a purged page again at the next request. Built within
    CLOCK_SKEW_SECONDS of the purge time, the page would count as possibly older than the purge:
    sent `no-cache`, not kept, and built a second time."""
    url, received = purge_receiver
    settings.MASTHEAD_FRONT_CACHE_URLS = [url]
    settings.MASTHEAD_FRONT_CACHE_REPURGE_MS = 0

    with django_capture_on_commit_callbacks(execute=True):
        keys_purge(["article-7"])

    assert received == ["article-7"]
    assert received.times[0] - cache.get(PURGED_PREFIX + "article-7") > CLOCK_SKEW_SECONDS
    assert keys_are_fresh(["article-7"], built_at=received.times[0])


@pytest.mark.django_db
def test_no_repeat_when_it_is_turned_off(purge_receiver, settings):
    url, received = purge_receiver
    settings.MASTHEAD_FRONT_CACHE_URLS = [url]
    settings.MASTHEAD_FRONT_CACHE_REPURGE_MS = 0
    frontcache.purge_again_later(["article-7"])
    time.sleep(0.3)
    assert received == []


@pytest.mark.django_db
def test_a_transaction_that_purges_many_times_waits_for_the_front_cache_once(
    purge_receiver, settings, django_capture_on_commit_callbacks
):
    """Wagtail's bulk actions change every page in one transaction: each purge at commit waited
    CLOCK_SKEW_SECONDS in turn, so 500 articles held the request for 30 s and more."""
    url, received = purge_receiver
    settings.MASTHEAD_FRONT_CACHE_URLS = [url]
    settings.MASTHEAD_FRONT_CACHE_REPURGE_MS = 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for article_id in range(30):
            keys_purge([f"article-{article_id}", "latest"])
    started = time.monotonic()  # the callbacks ran as the block ended; time them again
    for callback in callbacks:
        callback()

    assert len(callbacks) == 1
    assert time.monotonic() - started < 30 * CLOCK_SKEW_SECONDS / 2
    assert sorted(received[0].split()) == sorted(
        [f"article-{article_id}" for article_id in range(30)] + ["latest"]
    )


@pytest.mark.django_db
def test_a_purge_after_a_rolled_back_savepoint_is_still_sent(
    purge_receiver, settings, django_capture_on_commit_callbacks
):
    url, received = purge_receiver
    settings.MASTHEAD_FRONT_CACHE_URLS = [url]
    settings.MASTHEAD_FRONT_CACHE_REPURGE_MS = 0

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                keys_purge(["article-1"])
                raise RuntimeError
        except RuntimeError:
            pass
        keys_purge(["article-2"])

    assert received == ["article-2"]


def test_the_repeat_purge_is_hard(purge_receiver, settings):
    """The repeat removes a copy rendered before the change: not one to serve in grace."""
    url, received = purge_receiver
    settings.MASTHEAD_FRONT_CACHE_URLS = [url]
    frontcache.purge(["article-7"])
    frontcache.purge(["article-7"], hard=True)
    assert received.hard == [False, True]
