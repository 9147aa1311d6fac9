"""Forced password change and mandatory MFA enrolment, as a user meets them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.accounts.helpers import enrol_totp
from tests.conftest import Cast, login_client

CHANGE = "/accounts/password/change/"
TOTP_SETUP = "/accounts/2fa/totp/activate/"


@pytest.fixture
def imported(cast: Cast) -> Any:
    user = cast.east.learner.user
    user.must_change_password = True
    user.save()
    return user


@pytest.mark.parametrize("page", ["/", "/org/me/", "/org/enterprises/", "/admin/"])
def test_forced_change_redirects_every_page(imported: Any, page: str) -> None:
    response = login_client(imported).get(page)
    assert response.status_code == 302
    assert response["Location"] == CHANGE


def test_forced_change_blocks_the_api_with_json(imported: Any) -> None:
    response = login_client(imported).get("/api/v1/me/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "change your initial password" in response.json()["detail"].lower() or response.json()["detail"]
    assert response.json()["code"] == "account_obligation"


def test_forced_change_blocks_the_token_endpoint(imported: Any) -> None:
    response = Client().post(
        "/api/v1/auth/token/", {"username": imported.username, "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


def test_changing_the_password_lifts_the_obligation(imported: Any) -> None:
    client = login_client(imported)
    assert client.get(CHANGE).status_code == 200
    response = client.post(
        CHANGE,
        {"oldpassword": factories.PASSWORD, "password1": "a-new-Secret-77", "password2": "a-new-Secret-77"},
    )
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.must_change_password is False
    assert imported.check_password("a-new-Secret-77")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_a_weak_new_password_keeps_the_obligation(imported: Any) -> None:
    client = login_client(imported)
    response = client.post(CHANGE, {"oldpassword": factories.PASSWORD, "password1": "123", "password2": "123"})
    assert response.status_code == 200
    imported.refresh_from_db()
    assert imported.must_change_password is True


@pytest.fixture
def mfa_roles(settings: Any) -> None:
    settings.MFA_REQUIRED_ROLES = ["platform_admin", "bureau_official"]


def test_bureau_without_totp_is_sent_to_totp_setup(cast: Cast, mfa_roles: None) -> None:
    client = Client()
    client.post("/accounts/login/", {"login": cast.east.bureau.username, "password": factories.PASSWORD})
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == TOTP_SETUP
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()  # the enrolment form, not another redirect
    api = client.get("/api/v1/enterprises/")
    assert api.status_code == 403
    assert api.json()["code"] == "account_obligation"


def test_platform_admin_without_totp_is_sent_to_totp_setup(cast: Cast, mfa_roles: None) -> None:
    assert login_client(cast.platform_admin).get("/org/enterprises/")["Location"] == TOTP_SETUP


def test_learner_is_not_asked_for_totp(cast: Cast, mfa_roles: None) -> None:
    assert login_client(cast.east.learner.user).get("/").status_code == 200


def test_bureau_with_totp_uses_the_site(cast: Cast, mfa_roles: None) -> None:
    enrol_totp(cast.east.bureau)
    assert login_client(cast.east.bureau).get(reverse("organizations:enterprise_list")).status_code == 200


def test_nothing_is_required_when_the_setting_is_empty(cast: Cast, settings: Any) -> None:
    settings.MFA_REQUIRED_ROLES = []
    assert login_client(cast.east.bureau).get("/").status_code == 200
