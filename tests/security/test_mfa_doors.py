"""MFA on every token door: no token without TOTP for the roles that require it,
and a token of such a user refused on DRF views (through the ASGI and the WSGI
server door alike) and on the websocket's ``authenticate_credentials``, whenever it was issued.

A forced password change is refused the same way on each door.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from organizations.authentication import TokenAuthentication
from organizations.models import RoleGrant
from tests import factories
from tests.accounts.helpers import current_code, enrol_totp, wrong_code
from tests.conftest import Cast

TOKEN = "/api/v1/auth/token/"
PEOPLE = "/api/v1/people/"
MFA_ROLES = ["platform_admin", "bureau_official"]


@pytest.fixture
def mfa_roles() -> Any:
    with override_settings(MFA_REQUIRED_ROLES=MFA_ROLES):
        yield


def _token(username: str, **extra: str) -> Any:
    return Client().post(TOKEN, {"username": username, "password": factories.PASSWORD, **extra}, "application/json")


def _get(token: str, path: str = PEOPLE) -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"Token {token}")


# --- the token endpoint ------------------------------------------------------------


@pytest.mark.parametrize("who", ["bureau", "platform_admin"])
def test_no_token_until_totp_is_enrolled(cast: Cast, mfa_roles: None, who: str) -> None:
    user = cast.east.bureau if who == "bureau" else cast.platform_admin
    response = _token(user.username)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "mfa_enrolment_required"
    assert "token" not in body
    english = Client().post(
        TOKEN,
        {"username": user.username, "password": factories.PASSWORD},
        "application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "on the website" in english.json()["detail"]
    assert not Token.objects.filter(user=user).exists()


def test_the_chinese_answer_names_the_website(cast: Cast, mfa_roles: None) -> None:
    detail = _token(cast.east.bureau.username).json()["detail"]
    assert "两步验证" in detail
    assert "网站" in detail


def test_a_token_only_with_the_current_code_once_enrolled(cast: Cast, mfa_roles: None) -> None:
    bureau = cast.east.bureau
    secret = enrol_totp(bureau)
    assert _token(bureau.username).json()["code"] == "mfa_required"
    assert _token(bureau.username, code=wrong_code(secret)).json()["code"] == "mfa_invalid"
    response = _token(bureau.username, code=current_code(secret))
    assert response.status_code == 200
    people = _get(response.json()["token"])
    assert people.status_code == 200
    assert {row["name"] for row in people.json()["results"]} == {cast.east.learner.name}


def test_roles_without_the_requirement_still_get_a_token(cast: Cast, mfa_roles: None) -> None:
    for user in (cast.east.learner.user, cast.east.proctor, cast.east.enterprise_admin):
        response = _token(user.username)
        assert response.status_code == 200, (user.username, response.content)
        assert _get(response.json()["token"], "/api/v1/me/").status_code == 200


def test_nothing_is_required_when_the_setting_is_empty(cast: Cast) -> None:
    with override_settings(MFA_REQUIRED_ROLES=[]):
        response = _token(cast.east.bureau.username)
        assert response.status_code == 200
        assert _get(response.json()["token"]).status_code == 200


# --- an existing token on a DRF view -------------------------------------------------------


def test_a_token_issued_before_the_rule_is_refused_on_the_api(cast: Cast) -> None:
    token = Token.objects.create(user=cast.east.bureau).key
    assert _get(token).status_code == 200  # the rule is off
    with override_settings(MFA_REQUIRED_ROLES=MFA_ROLES):
        response = _get(token)
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "mfa_enrolment_required"
        assert cast.east.learner.name not in response.content.decode()
        enrol_totp(cast.east.bureau)
        assert _get(token).status_code == 200  # enrolled: the old token works again


def test_a_token_issued_before_a_role_grant_is_refused(cast: Cast, mfa_roles: None) -> None:
    user = cast.east.proctor
    token = _token(user.username).json()["token"]
    assert _get(token).status_code == 200
    factories.grant(user, RoleGrant.Role.BUREAU_OFFICIAL, jurisdiction=cast.west.jurisdiction)
    response = _get(token)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrolment_required"


def test_a_superuser_counts_as_platform_admin(db: None, mfa_roles: None) -> None:
    root = factories.make_user("root_user", is_superuser=True, is_staff=True)
    token = Token.objects.create(user=root).key
    assert _get(token, "/api/v1/me/").json()["code"] == "mfa_enrolment_required"


def test_a_forced_password_change_refuses_an_existing_token(cast: Cast) -> None:
    user = cast.east.learner.user
    token = Token.objects.create(user=user).key
    user.must_change_password = True
    user.save()
    response = _get(token, "/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
    # And no new token either (unchanged behaviour of the endpoint).
    assert _token(user.username).json()["code"] == "password_change_required"


# --- authenticate_credentials: what the websocket's token middleware calls -------------------


def test_authenticate_credentials_refuses_the_same_tokens(cast: Cast, mfa_roles: None) -> None:
    bureau_token = Token.objects.create(user=cast.east.bureau).key
    with pytest.raises(exceptions.AuthenticationFailed) as refused:
        TokenAuthentication().authenticate_credentials(bureau_token)
    assert refused.value.status_code == 403
    assert refused.value.get_codes() == {"detail": "mfa_enrolment_required", "code": "mfa_enrolment_required"}

    learner = cast.east.learner.user
    learner_token = Token.objects.create(user=learner).key
    user, token = TokenAuthentication().authenticate_credentials(learner_token)
    assert user == learner
    assert token.key == learner_token
    learner.must_change_password = True
    learner.save()
    with pytest.raises(exceptions.AuthenticationFailed) as refused:
        TokenAuthentication().authenticate_credentials(learner_token)
    assert refused.value.refusal_code == "password_change_required"  # type: ignore[attr-defined]


@pytest.mark.parametrize("roles", [[], MFA_ROLES])
def test_the_check_costs_no_query_of_its_own(cast: Cast, roles: list[str], django_assert_num_queries: Any) -> None:
    """One SQL row for token, user, person and the MFA facts, as before the rule."""
    learner_token = Token.objects.create(user=cast.east.learner.user).key
    bureau_token = Token.objects.create(user=cast.east.bureau).key
    with override_settings(MFA_REQUIRED_ROLES=roles):
        with django_assert_num_queries(1):
            user, _token = TokenAuthentication().authenticate_credentials(learner_token)
            assert user.person == cast.east.learner
        with django_assert_num_queries(1):
            if roles:
                with pytest.raises(exceptions.AuthenticationFailed):
                    TokenAuthentication().authenticate_credentials(bureau_token)
            else:
                TokenAuthentication().authenticate_credentials(bureau_token)


# --- both HTTP doors: the ASGI app (embedded default) and the WSGI app (gunicorn, scaled out) ---


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_server_door_refuses_a_token_that_owes_mfa_enrolment(cast: Cast, mfa_roles: None) -> None:
    from config.asgi import application as asgi_app
    from config.wsgi import application as wsgi_app
    from tests.doors import call_asgi, call_wsgi
    from tests.exams.conftest import make_bank, make_paper, make_session

    provider = cast.east.provider
    session = make_session(provider, make_paper(provider, make_bank(provider)))
    examinee = cast.east.learner.user
    token = Token.objects.create(user=examinee).key  # issued before the role grant
    factories.grant(examinee, RoleGrant.Role.BUREAU_OFFICIAL, jurisdiction=cast.east.jurisdiction)

    request = (
        "POST",
        f"/api/v1/exams/{session.pk}/attempts/",
        b"",
        [("Authorization", f"Token {token}"), ("Accept", "application/json")],
    )
    try:
        through_asgi = call_asgi(asgi_app, *request)
        through_wsgi = call_wsgi(wsgi_app, *request)
    finally:
        gc.collect()
    for status, headers, content in (through_asgi, through_wsgi):
        assert status == 403, content
        assert headers["content-type"] == "application/json"
        assert json.loads(content)["code"] == "mfa_enrolment_required"
    assert through_asgi[2] == through_wsgi[2]
    assert not session.attempts.exists()  # no paper drawn
