"""config.security.client_ip trusts exactly TRUSTED_PROXY_COUNT proxies, like allauth."""

from __future__ import annotations

import pytest
from allauth.core.internal.httpkit import get_client_ip as allauth_client_ip
from django.test import RequestFactory

from config.security import client_ip

PROXY = "10.0.0.2"


def request_with(xff: str | None = None, remote_addr: str = PROXY):
    extra = {"REMOTE_ADDR": remote_addr}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_a_forged_header_is_ignored(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_with("198.51.100.66", remote_addr="203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_with(remote_addr="203.0.113.9")) == "203.0.113.9"


def test_with_one_proxy_the_rightmost_entry_is_the_client(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_with("203.0.113.9")) == "203.0.113.9"


def test_with_one_proxy_forged_leftmost_entries_change_nothing(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    forged = request_with("198.51.100.66, 192.0.2.1, 203.0.113.9")
    honest = request_with("203.0.113.9")
    assert client_ip(forged) == client_ip(honest) == "203.0.113.9"


def test_with_two_proxies_the_second_entry_from_the_right_is_the_client(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_with("198.51.100.66, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_socket_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_with("203.0.113.9")) == PROXY
    assert client_ip(request_with(None)) == PROXY


@pytest.mark.parametrize("entry", ["not-an-ip", "", "203.0.113.9<script>", "999.1.1.1"])
def test_an_unparseable_entry_falls_back_to_the_socket_address(settings, entry):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_with(f"198.51.100.66, {entry}")) == PROXY


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("203.0.113.9:51234", "203.0.113.9"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:DB8:0:0::7", "2001:db8::7"),
        ("  203.0.113.9  ", "203.0.113.9"),
    ],
)
def test_ports_brackets_and_spacing_are_normalised(settings, entry, expected):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_with(entry)) == expected


@pytest.mark.parametrize("count", [0, 1, 2])
@pytest.mark.parametrize("xff", ["198.51.100.66, 203.0.113.9, 10.0.0.1", "192.0.2.5, 203.0.113.9"])
def test_our_answer_matches_allauths_rate_limit_key(settings, count, xff):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    request = request_with(xff)
    assert client_ip(request) == allauth_client_ip(request)
