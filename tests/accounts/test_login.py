"""Logging in through the real allauth form: username, email, phone; rate limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories

LOGIN = "/accounts/login/"


def _login(client: Client, login: str, password: str = factories.PASSWORD) -> Any:
    page = client.get(LOGIN)
    assert page.status_code == 200
    return client.post(LOGIN, {"login": login, "password": password})


def _signed_in_as(client: Client) -> str | None:
    response = client.get(reverse("api:api-me"))
    return response.json()["username"] if response.status_code == 200 else None


@pytest.fixture
def member(db: None) -> Any:
    # A demo-style account: username, email and a mainland mobile number.
    return factories.make_user("zhang_san", email="zhang.san@example.com", phone="13912345678")


def _client() -> Client:
    return Client(enforce_csrf_checks=False)


def test_login_page_offers_one_field_for_username_email_or_phone(client: Client, db: None) -> None:
    body = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="login"' in body
    assert "Username, email or phone" in body


@pytest.mark.parametrize("login", ["zhang_san", "zhang.san@example.com", "13912345678", "+86 139 1234 5678"])
def test_login_by_username_email_or_phone(member: Any, login: str) -> None:
    client = _client()
    response = _login(client, login)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _signed_in_as(client) == "zhang_san"


def test_wrong_password_is_refused(member: Any) -> None:
    client = _client()
    response = _login(client, "zhang_san", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _signed_in_as(client) is None


def test_unknown_phone_is_refused(member: Any) -> None:
    client = _client()
    response = _login(client, "13900000000")
    assert response.status_code == 200
    assert _signed_in_as(client) is None


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(member: Any) -> None:
    client = _client()
    for _ in range(4):
        response = _login(client, "zhang_san", "wrong-guess")
        assert response.status_code == 200
    # The 5th failure locks the account (axes, AXES_FAILURE_LIMIT) and says so.
    response = _login(client, "zhang_san", "wrong-guess")
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()
    # The 6th attempt is refused by the rate limit, even with the right password.
    response = client.post(LOGIN, {"login": "zhang_san", "password": factories.PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert _signed_in_as(client) is None
    # Another account from the same address is unaffected by the per-key limit.
    factories.make_user("li_si")
    assert _login(_client(), "li_si").status_code == 302


def test_rate_limit_lives_in_the_configured_cache(member: Any, cache_namespace: str) -> None:
    for _ in range(2):
        _login(_client(), "zhang_san", "wrong-guess")
    if not settings.REDIS_URL:
        from django.core.cache import caches

        assert type(caches["default"]).__name__ == "LocMemCache"
        return
    import redis

    server = redis.Redis.from_url(settings.REDIS_URL)
    keys = [k.decode() for k in server.scan_iter(f"{cache_namespace}:*allauth:rl:*login_failed*")]
    assert keys, "the failed-login counter was not written to Redis"
    for key in keys:
        server.delete(key)
