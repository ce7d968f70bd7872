"""Reader ids: signed with their issue time, kept across a change of SECRET_KEY, and a cookie
the server cannot verify is a new reader, never a locked-out one."""

import json
import time

import pytest
from django.core import signing
from django.test import Client, override_settings

from masthead.engagement.clients import network_of
from masthead.engagement.readers import SALT
from tests.engagement.conftest import BROWSER

OLD_KEY = "an-earlier-secret-key-" + "o" * 40
READER = "0123456789abcdef0123456789abcdef"


def signed(payload: str, key: str) -> str:
    return signing.Signer(key=key, salt=SALT).sign(payload)


def beacon(client: Client, article_id: int):
    return client.post(
        "/api/v1/events",
        json.dumps({"type": "view", "article": article_id}),
        content_type="application/json",
    )


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_USER_AGENT=BROWSER)


def test_a_reader_id_carries_its_issue_time(browser, article):
    value = beacon(browser, article.pk).cookies["mh_reader"].value
    reader_id, issued = signing.Signer(salt=SALT).unsign(value).split(":")
    assert len(reader_id) == 32 and abs(int(issued) - time.time()) < 60


def test_a_cookie_signed_with_a_retired_key_keeps_its_reader_and_is_re_signed(
    browser, article, settings
):
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    issued = int(time.time()) - 3600
    browser.cookies["mh_reader"] = signed(f"{READER}:{issued}", OLD_KEY)
    response = beacon(browser, article.pk)
    assert response.status_code == 202 and response.json() == {"counted": True}
    renewed = signing.Signer(salt=SALT, fallback_keys=[]).unsign(
        response.cookies["mh_reader"].value
    )
    assert renewed == f"{READER}:{issued}"  # same reader, same issue time, today's key


def test_a_cookie_no_key_can_verify_is_a_new_reader_with_a_fresh_id(browser, article):
    browser.cookies["mh_reader"] = signed(f"{READER}:{int(time.time())}", OLD_KEY)
    context = browser.get(f"/api/v1/articles/{article.pk}/reader-context")
    assert context.status_code == 200
    fresh = context.cookies["mh_reader"].value
    assert not signing.Signer(salt=SALT).unsign(fresh).startswith(READER)
    assert browser.get(f"/articles/{article.pk}/react/").status_code == 200
    assert beacon(browser, article.pk).status_code == 202


def test_after_a_key_change_without_fallbacks_the_reader_reacts_again_after_one_visit(
    reader, article
):
    with override_settings(SECRET_KEY="a-brand-new-key-" + "n" * 40):
        refused = reader.react(article.pk, active=True)
        assert refused.status_code == 403 and "mh_reader" in refused.cookies
        assert reader.react(article.pk, active=True).status_code == 200


def test_an_id_signed_before_issue_times_were_recorded_is_still_established(browser, article):
    browser.cookies["mh_reader"] = signing.Signer(salt=SALT).sign(READER)
    response = beacon(browser, article.pk)
    assert response.json() == {"counted": True}
    assert (
        signing.Signer(salt=SALT)
        .unsign(response.cookies["mh_reader"].value)
        .startswith(f"{READER}:")
    )


def test_an_id_older_than_the_cookie_lifetime_is_not_accepted(browser, article):
    browser.cookies["mh_reader"] = signing.Signer(salt=SALT).sign(f"{READER}:1000000")
    response = beacon(browser, article.pk)
    assert (
        not signing.Signer(salt=SALT).unsign(response.cookies["mh_reader"].value).startswith(READER)
    )


@pytest.mark.parametrize(
    "address,network",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("not an address", "unknown"),
    ],
)
def test_a_client_network_is_an_ipv4_address_or_an_ipv6_64(address, network):
    assert network_of(address) == network
