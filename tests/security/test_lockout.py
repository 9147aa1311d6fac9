"""Per-account lockout (django-axes) on every login door, and which address is believed.

The doors: allauth's login form (by username, email or phone), the API token
endpoint, and the Django admin's login (which sends people to that form).
Failures are counted against the account, whatever address or
X-Forwarded-For they come with; only a configured proxy's header is believed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client, RequestFactory, override_settings
from rest_framework.authtoken.models import Token

from accounts.adapter import AccountAdapter
from tests import factories
from tests.accounts.helpers import current_code, enrol_totp, wrong_code

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
WRONG = "wrong-guess-1"
_addresses = itertools.count(1)


@pytest.fixture
def member(db: None) -> Any:
    return factories.make_user("zhang_san", email="zhang.san@example.com", phone="13912345678")


def _fresh_address() -> dict[str, str]:
    """Another client address and another forged X-Forwarded-For for every request."""
    n = next(_addresses)
    return {"REMOTE_ADDR": f"198.51.{n // 250}.{n % 250 + 1}", "HTTP_X_FORWARDED_FOR": f"203.0.113.{n % 250 + 1}"}


def _web_login(login: str, password: str, **extra: str) -> tuple[Client, Any]:
    client = Client()
    meta = {**_fresh_address(), **extra}
    assert client.get(LOGIN, **meta).status_code == 200
    return client, client.post(LOGIN, {"login": login, "password": password}, **meta)


def _signed_in(client: Client) -> bool:
    return client.get("/api/v1/me/").status_code == 200


def _token(username: str, password: str, **extra: str) -> Any:
    return Client().post(
        TOKEN, {"username": username, "password": password, **extra}, "application/json", **_fresh_address()
    )


def _fail_on_token(username: str, times: int) -> list[Any]:
    return [_token(username, WRONG) for _ in range(times)]


def _assert_locked_json(response: Any, *, seconds_left: float | None = None) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "account_locked"
    assert "token" not in body
    left = settings.AXES_COOLOFF_TIME.total_seconds() if seconds_left is None else seconds_left
    assert left - 30 < body["retry_after"] <= left
    assert response["Retry-After"] == str(body["retry_after"])
    assert body["locked_until"]


# --- web login ----------------------------------------------------------------------------------


def test_web_login_locks_the_account_whatever_the_address_or_the_name_typed(member: Any) -> None:
    # Five ways of naming one account, each from another address: allauth's own
    # per-login and per-address limits never see five failures.
    names = ["zhang_san", "ZHANG_SAN", "zhang.san@example.com", "13912345678", "+86 139 1234 5678"]
    for name in names[:-1]:
        _client, response = _web_login(name, WRONG)
        assert response.status_code == 200
        assert response.context["form"].errors
    _client, response = _web_login(names[-1], WRONG)
    assert response.status_code == 429
    page = response.content.decode()
    assert "账户已锁定" in page
    assert "登录失败次数过多" in page
    assert response["Retry-After"]
    # The right password, from yet another address, is refused too.
    client, response = _web_login("zhang_san", factories.PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)


def test_the_lock_page_is_english_for_english_readers(member: Any) -> None:
    _fail_on_token("zhang_san", settings.AXES_FAILURE_LIMIT)
    client, response = _web_login("zhang_san", factories.PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not _signed_in(client)


# --- token endpoint ------------------------------------------------------------------------------


def test_token_endpoint_locks_the_account_with_rotating_forwarded_for(member: Any) -> None:
    responses = _fail_on_token("zhang_san", settings.AXES_FAILURE_LIMIT)
    assert [r.status_code for r in responses[:-1]] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    _assert_locked_json(responses[-1])
    _assert_locked_json(_token("zhang_san", factories.PASSWORD))
    assert not Token.objects.filter(user=member).exists()


def test_forty_guesses_then_the_right_password_gives_no_token(member: Any) -> None:
    """The audit's case: 40 wrong passwords with a new X-Forwarded-For each, then the right one."""
    _fail_on_token("zhang_san", 40)
    _assert_locked_json(_token("zhang_san", factories.PASSWORD))
    # Attempts while locked were not recorded, so the lock ends when it said it would.
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == settings.AXES_FAILURE_LIMIT


def test_wrong_totp_codes_count_towards_the_lock(member: Any) -> None:
    secret = enrol_totp(member)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token("zhang_san", factories.PASSWORD, code=wrong_code(secret)).json()["code"] == "mfa_invalid"
    _assert_locked_json(_token("zhang_san", factories.PASSWORD, code=wrong_code(secret)))
    _assert_locked_json(_token("zhang_san", factories.PASSWORD, code=current_code(secret)))


def test_failures_on_the_web_and_the_api_add_up(member: Any) -> None:
    for _ in range(3):
        _web_login("13912345678", WRONG)
    assert _token("zhang_san", WRONG).status_code == 400
    _assert_locked_json(_token("zhang.san@example.com", WRONG))
    client, response = _web_login("zhang_san", factories.PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)


def test_a_success_does_not_reset_the_count(member: Any) -> None:
    _fail_on_token("zhang_san", settings.AXES_FAILURE_LIMIT - 1)
    assert _token("zhang_san", factories.PASSWORD).status_code == 200
    _assert_locked_json(_token("zhang_san", WRONG))
    _assert_locked_json(_token("zhang_san", factories.PASSWORD))


def test_other_accounts_are_not_affected(member: Any) -> None:
    factories.make_user("li_si")
    _fail_on_token("zhang_san", settings.AXES_FAILURE_LIMIT)
    assert _token("li_si", factories.PASSWORD).status_code == 200
    client, response = _web_login("li_si", factories.PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_an_unknown_name_is_locked_like_a_known_one(db: None) -> None:
    responses = _fail_on_token("nobody_here", settings.AXES_FAILURE_LIMIT)
    _assert_locked_json(responses[-1])


# --- admin login ---------------------------------------------------------------------------------


@pytest.fixture
def staff(db: None) -> Any:
    return factories.make_user("staff_member", is_staff=True, is_superuser=True)


def test_the_admin_login_door_checks_no_password_and_sends_people_to_the_locked_form(staff: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            "/admin/login/?next=/admin/", {"username": "staff_member", "password": WRONG}, **_fresh_address()
        )
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
    assert not AccessAttempt.objects.exists()  # nothing was tried there
    _fail_on_token("staff_member", settings.AXES_FAILURE_LIMIT)
    meta = _fresh_address()
    client.get(f"{LOGIN}?next=/admin/", **meta)
    response = client.post(
        f"{LOGIN}?next=/admin/", {"login": "staff_member", "password": factories.PASSWORD, "next": "/admin/"}, **meta
    )
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_a_platform_admin_unlocks_an_account_in_the_admin(member: Any, staff: Any) -> None:
    _fail_on_token("zhang_san", settings.AXES_FAILURE_LIMIT)
    with override_settings(MFA_REQUIRED_ROLES=[]):
        admin = Client()
        admin.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
        listing = admin.get("/admin/axes/accessattempt/")
        assert listing.status_code == 200
        assert "zhang_san" in listing.content.decode()
        for attempt in AccessAttempt.objects.filter(username="zhang_san"):
            response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
            assert response.status_code == 302
    assert _token("zhang_san", factories.PASSWORD).status_code == 200


# --- cool-off --------------------------------------------------------------------------------------


def test_the_lock_holds_for_the_cool_off_and_then_ends(member: Any) -> None:
    _fail_on_token("zhang_san", settings.AXES_FAILURE_LIMIT)
    attempts = AccessAttempt.objects.filter(username="zhang_san")
    # A minute before the end: still locked, and the refused right password did not end it.
    attempts.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1))
    _assert_locked_json(_token("zhang_san", factories.PASSWORD), seconds_left=60)
    _assert_locked_json(_token("zhang_san", factories.PASSWORD), seconds_left=60)
    # Past the cool-off (time moved, not slept): open again, on both doors.
    attempts.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=2))
    assert _token("zhang_san", factories.PASSWORD).status_code == 200
    client, response = _web_login("zhang_san", factories.PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


# --- which address is believed ------------------------------------------------------------------


def _recorded_address(**meta: str) -> str:
    AccessAttempt.objects.all().delete()
    Client().post(TOKEN, {"username": "zhang_san", "password": WRONG}, "application/json", **meta)
    return AccessAttempt.objects.get().ip_address


FORWARDED = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.9"}


def test_without_a_trusted_proxy_the_header_is_ignored(member: Any) -> None:
    assert _recorded_address(**FORWARDED) == "10.0.0.2"


def test_a_trusted_proxy_is_believed(member: Any) -> None:
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert _recorded_address(**FORWARDED) == "203.0.113.9"  # the address the proxy saw
        # The same header from a client that is not the proxy: its own address.
        assert _recorded_address(**{**FORWARDED, "REMOTE_ADDR": "198.51.100.20"}) == "198.51.100.20"
        # A chain of trusted proxies is walked to the first address that is not one.
        chain = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.9, 10.0.0.7"}
        assert _recorded_address(**chain) == "203.0.113.9"
    with override_settings(NUM_PROXIES=1):
        assert _recorded_address(**FORWARDED) == "203.0.113.9"


def _throttled_after_ten(**meta: Any) -> bool:
    """Eleven token requests for unknown names from one REMOTE_ADDR, each with another X-Forwarded-For."""
    statuses = []
    for n in range(11):
        response = Client().post(
            TOKEN,
            {"username": f"guess{n}", "password": WRONG},
            "application/json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}",
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [400] * 10
    return statuses[10] == 429


def test_the_token_throttle_counts_the_real_address(db: None) -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"] == "10/min"
    assert _throttled_after_ten()


def test_the_token_throttle_believes_a_trusted_proxy(db: None) -> None:
    with override_settings(TRUSTED_PROXIES=["10.0.0.2"]):
        assert not _throttled_after_ten()


def test_allauth_rate_limits_use_the_same_address() -> None:
    request = RequestFactory().post(LOGIN, **FORWARDED)
    assert AccountAdapter(request).get_client_ip(request) == "10.0.0.2"
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert AccountAdapter(request).get_client_ip(request) == "203.0.113.9"


def test_a_bad_trusted_proxy_setting_stops_start_up() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr
    assert "proxy.local" in result.stderr


# --- through the ASGI server's stack (AxesMiddleware's async path) --------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_lock_is_answered_the_same_through_the_asgi_server(member: Any) -> None:
    import gc
    import json

    from config.asgi import django_asgi_app
    from tests.doors import call_asgi

    def post(path: str, body: bytes, content_type: str, address: int) -> tuple[int, dict[str, str], bytes]:
        headers = [("Content-Type", content_type), ("X-Forwarded-For", f"203.0.113.{address}")]
        return call_asgi(django_asgi_app, "POST", path, body, headers)

    try:
        for n in range(settings.AXES_FAILURE_LIMIT):
            status, headers, content = post(
                TOKEN, json.dumps({"username": "zhang_san", "password": WRONG}).encode(), "application/json", n
            )
        assert status == 429, content
        body = json.loads(content)
        assert body["code"] == "account_locked"
        assert 0 < body["retry_after"] <= settings.AXES_COOLOFF_TIME.total_seconds()
        assert headers["retry-after"] == str(body["retry_after"])
        # A minute before the end, the right password: still refused, and told so to the minute.
        AccessAttempt.objects.update(
            attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
        )
        status, _headers, content = post(
            TOKEN,
            json.dumps({"username": "zhang_san", "password": factories.PASSWORD}).encode(),
            "application/json",
            99,
        )
        assert status == 429
        body = json.loads(content)
        assert "token" not in body
        assert 30 < body["retry_after"] <= 60
    finally:
        gc.collect()  # the request threads' connections, before the test database goes
