"""Rate limits: exact under concurrent processes, and kept across a restart."""

import multiprocessing

import pytest
from django.conf import settings
from django.db import connections

from masthead.engagement import limits
from masthead.engagement.limits import Rate, limit_take
from masthead.engagement.models import RateLimit


@pytest.mark.parametrize(
    "text,count,seconds",
    [("30/m", 30, 60), ("1/2m", 1, 120), ("10/h", 10, 3600), ("5/second", 5, 1)],
)
def test_rates_read_count_over_period(text, count, seconds):
    assert Rate.parse(text) == Rate(count, seconds)


@pytest.mark.parametrize("text", ["", "0/m", "ten/m", "5/week", "5"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError):
        Rate.parse(text)


def test_a_burst_is_allowed_then_one_per_interval(db):
    now = 1_000_000.0
    allowed = [limit_take(key="k", rate="3/m", now=now) == 0 for _ in range(5)]
    assert allowed == [True, True, True, False, False]
    assert limit_take(key="k", rate="3/m", now=now) == pytest.approx(20, abs=0.01)
    assert limit_take(key="k", rate="3/m", now=now + 20) == 0
    assert limit_take(key="k", rate="3/m", now=now + 20) > 0


def test_a_limit_survives_a_restart_of_the_process(db):
    for _ in range(2):
        limit_take(key="restart", rate="2/h", now=5000.0)
    limits.limiter.cache_clear()  # what a new worker starts with
    assert limit_take(key="restart", rate="2/h", now=5001.0) > 0


def test_spent_limits_are_purged(db):
    limit_take(key="old", rate="1/m", now=100.0)
    if settings.REDIS_URL:
        pytest.skip("Redis expires its keys itself")
    assert limits.limits_purge(now=1000.0) == 1


def take_many(key: str, tries: int, allowed) -> None:
    connections.close_all()
    limits.limiter.cache_clear()
    for _ in range(tries):
        if limit_take(key=key, rate="40/h") == 0:
            with allowed.get_lock():
                allowed.value += 1
    connections.close_all()


@pytest.fixture
def committed_limits(django_db_setup, django_db_blocker):
    """Limits committed for real, so that other processes see them (a transactional test would
    empty every table afterwards, the shared corpus included); only limits are cleared."""
    with django_db_blocker.unblock():
        RateLimit.objects.all().delete()
        yield
        RateLimit.objects.all().delete()


def test_processes_share_one_limit(committed_limits):
    """Four workers at once get exactly the burst between them, not four times it."""
    context = multiprocessing.get_context("fork")
    allowed = context.Value("i", 0)
    connections.close_all()
    processes = [context.Process(target=take_many, args=("shared", 30, allowed)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert allowed.value == 40
