"""accounts.network.client_ip: which address is the client's."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from accounts.network import client_ip


def _ip(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_by_default_the_header_is_never_believed() -> None:
    assert _ip("198.51.100.1", "203.0.113.9") == "198.51.100.1"
    assert _ip("10.0.0.2", "203.0.113.9, 10.0.0.3") == "10.0.0.2"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.2", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.2", "192.0.2.1, 203.0.113.9", "203.0.113.9"),  # the left part is the client's own claim
        ("10.0.0.2", "203.0.113.9, 10.0.0.3", "203.0.113.9"),  # two proxies of ours
        ("10.0.0.2", "10.0.0.4, 10.0.0.3", "10.0.0.4"),  # all ours: the first one
        ("10.0.0.2", "not-an-address", "10.0.0.2"),  # garbage is not believed
        ("10.0.0.2", "203.0.113.9:4711", "203.0.113.9"),  # with a port
        ("198.51.100.1", "203.0.113.9", "198.51.100.1"),  # not from our proxy
        ("10.0.0.2", "", "10.0.0.2"),
        ("fd00::1", "2001:db8::5", "2001:db8::5"),
        ("fd00::1", "[2001:db8::5]:443", "2001:db8::5"),
    ],
)
def test_trusted_proxies(remote: str, forwarded: str, expected: str) -> None:
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "fd00::/8"]):
        assert _ip(remote, forwarded) == expected


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "192.0.2.1, 203.0.113.9", "203.0.113.9"),
        (2, "192.0.2.1, 203.0.113.9", "192.0.2.1"),
        (3, "203.0.113.9", "203.0.113.9"),  # fewer entries than proxies: the left-most
        (1, "garbage", "10.0.0.2"),
    ],
)
def test_a_number_of_proxies(count: int, forwarded: str, expected: str) -> None:
    with override_settings(NUM_PROXIES=count):
        assert _ip("10.0.0.2", forwarded) == expected
