"""The fetcher reaches only public addresses, connects to the address it checked (so DNS
rebinding cannot swap in a local one), and refuses IPv6 wrappings of local IPv4 addresses."""

import ipaddress

import pytest

from masthead.ingest import fetch as fetch_module
from masthead.ingest.fetch import CheckedBackend, FetchError, address_is_public, fetch


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "::1",
        "::127.0.0.1",  # IPv4-compatible
        "::10.0.0.1",
        "64:ff9b::127.0.0.1",  # NAT64 of loopback
        "64:ff9b::a9fe:a9fe",  # NAT64 of the cloud metadata address
        "2002:7f00:1::",  # 6to4 of loopback
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "fd00::1",
        "fe80::1",
    ],
)
def test_local_addresses_and_their_ipv6_wrappings_are_refused(address):
    assert not address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]
)
def test_public_addresses_and_their_ipv6_forms_are_allowed(address):
    assert address_is_public(ipaddress.ip_address(address))


class FickleResolver:
    """Answers a public address the first time and 127.0.0.1 after: DNS rebinding."""

    def __init__(self):
        self.calls = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return ["192.0.0.9" if self.calls == 1 else "127.0.0.1"]  # 192.0.0.9: global, unrouted


def test_a_rebinding_name_never_reaches_the_local_server(server, settings, monkeypatch):
    settings.MASTHEAD_INGEST_ALLOW_PRIVATE = False
    settings.MASTHEAD_INGEST_CONNECT_SECONDS = 1
    server.add("/internal", b"<html><body><p>Internal secrets.</p></body></html>")
    resolver = FickleResolver()
    monkeypatch.setattr(fetch_module, "resolve", resolver)
    port = server.url.rsplit(":", 1)[1]
    with pytest.raises(FetchError):
        fetch(f"http://rebind.example:{port}/internal")
    assert resolver.calls == 1  # checked once, connected to what was checked
    assert server.hits.get("/internal", 0) == 0


def test_every_connection_is_checked_so_every_redirect_hop_is(settings, monkeypatch):
    settings.MASTHEAD_INGEST_ALLOW_PRIVATE = False
    monkeypatch.setattr(fetch_module, "resolve", lambda host, port: ["169.254.169.254"])
    with pytest.raises(FetchError, match="private or local address"):
        CheckedBackend().connect_tcp("metadata.example", 80)


def test_redirects_are_followed_through_the_checked_connections(server):
    server.add("/old", status=301, headers={"Location": "/new"})
    server.add("/new", b"<rss/>")
    fetched = fetch(server.url + "/old")
    assert fetched.body == b"<rss/>" and fetched.url.endswith("/new")
