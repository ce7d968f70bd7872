import pytest
from django.core.exceptions import ImproperlyConfigured

from masthead.settings import envbool, envint


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False), ("", False)],
)
def test_envbool_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("MASTHEAD_SOMETHING", value)
    assert envbool("MASTHEAD_SOMETHING", "0") is expected


def test_envbool_refuses_a_typo_instead_of_reading_it_as_no(monkeypatch):
    monkeypatch.setenv("MASTHEAD_HTTPS", "ture")
    with pytest.raises(ImproperlyConfigured, match="MASTHEAD_HTTPS='ture'"):
        envbool("MASTHEAD_HTTPS", "1")


def test_envint_refuses_a_value_that_is_not_a_number(monkeypatch):
    monkeypatch.setenv("MASTHEAD_PAGE_SIZE", "20 articles")
    with pytest.raises(ImproperlyConfigured, match="MASTHEAD_PAGE_SIZE"):
        envint("MASTHEAD_PAGE_SIZE", 20)
