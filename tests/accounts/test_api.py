"""The API as its callers meet it: tokens, /me/, scoped lists, JSON errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import include, path

from organizations.validators import mask_id_number
from tests import factories
from tests.accounts.helpers import current_code, enrol_totp, wrong_code
from tests.conftest import Cast, login_client

TOKEN = "/api/v1/auth/token/"


def _token(**data: str) -> Any:
    return Client().post(TOKEN, data, content_type="application/json")


# --- token -----------------------------------------------------------------------


def test_password_gives_a_token_that_works_on_me(cast: Cast) -> None:
    response = _token(username="east_bureau", password=factories.PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["username"] == "east_bureau"


def test_wrong_password_gives_no_token(cast: Cast) -> None:
    response = _token(username="east_bureau", password="nope")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert response.json()["detail"]


def test_missing_fields_are_named(db: None) -> None:
    response = _token(username="someone")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("password")


def test_a_bad_token_is_refused_as_json(db: None) -> None:
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response.json()["detail"]


class TestTokenWithMfa:
    @pytest.fixture
    def secret(self, cast: Cast) -> str:
        return enrol_totp(cast.east.bureau)

    def test_without_code_says_a_code_is_needed(self, secret: str) -> None:
        response = _token(username="east_bureau", password=factories.PASSWORD)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "mfa_required"
        assert "'code'" in body["detail"]
        assert "token" not in body

    def test_wrong_code_is_refused(self, secret: str) -> None:
        response = _token(username="east_bureau", password=factories.PASSWORD, code=wrong_code(secret))
        assert response.status_code == 400
        assert response.json()["code"] == "mfa_invalid"
        assert "token" not in response.json()

    def test_wrong_password_with_right_code_is_refused(self, secret: str) -> None:
        response = _token(username="east_bureau", password="nope", code=current_code(secret))
        assert response.status_code == 400
        assert "token" not in response.json()

    def test_right_code_gives_a_token(self, secret: str) -> None:
        response = _token(username="east_bureau", password=factories.PASSWORD, code=current_code(secret))
        assert response.status_code == 200
        token = response.json()["token"]
        assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200

    def test_a_code_cannot_be_replayed(self, secret: str) -> None:
        code = current_code(secret)
        assert _token(username="east_bureau", password=factories.PASSWORD, code=code).status_code == 200
        assert _token(username="east_bureau", password=factories.PASSWORD, code=code).status_code == 400


# --- /me/ ------------------------------------------------------------------------


def _me(user: Any) -> dict[str, Any]:
    response = login_client(user).get("/api/v1/me/")
    assert response.status_code == 200
    return response.json()


def test_me_reports_roles_and_scope_for_every_cast_member(cast: Cast) -> None:
    east = cast.east
    learner = _me(east.learner.user)
    assert learner["roles"] == ["learner"]
    assert learner["person"]["enterprise"] == east.enterprises[0].name
    assert learner["grants"] == []

    admin = _me(east.enterprise_admin)
    assert admin["roles"] == ["enterprise_admin"]
    assert admin["grants"][0]["enterprise"]["credit_code"] == east.enterprises[0].credit_code

    trainer = _me(east.training_admin)
    assert trainer["roles"] == ["training_admin"]
    assert trainer["grants"][0]["provider"]["code"] == east.provider.code

    for user, role in ((east.proctor, "proctor"), (east.bureau, "bureau_official")):
        data = _me(user)
        assert data["roles"] == [role]
        assert data["grants"][0]["jurisdiction"]["code"] == east.jurisdiction.code

    assert _me(cast.platform_admin)["roles"] == ["platform_admin"]
    outsider = _me(cast.outsider)
    assert outsider == {**outsider, "roles": [], "grants": [], "person": None}


def test_me_needs_a_login(db: None) -> None:
    response = Client().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


# --- scoped lists -----------------------------------------------------------------


def _names(user: Any, resource: str, field: str = "name") -> set[str]:
    response = login_client(user).get(f"/api/v1/{resource}/")
    assert response.status_code == 200, response.content
    return {row[field] for row in response.json()["results"]}


def test_lists_return_only_the_callers_scope(cast: Cast) -> None:
    east, west = cast.east, cast.west
    east_enterprises = {e.name for e in east.enterprises}
    east_jurisdictions = {east.jurisdiction.code, east.street.code}
    for d in (east, west):
        own = {e.name for e in d.enterprises}
        codes = {d.jurisdiction.code, d.street.code}
        for user in (d.bureau, d.proctor, d.training_admin):
            assert _names(user, "enterprises") == own
            assert _names(user, "people") == {d.learner.name}
            assert _names(user, "jurisdictions", "code") == codes
        assert _names(d.enterprise_admin, "enterprises") == {d.enterprises[0].name}
        assert _names(d.enterprise_admin, "people") == {d.learner.name}
        assert _names(d.enterprise_admin, "jurisdictions", "code") == set()
        assert _names(d.learner.user, "enterprises") == {d.enterprises[0].name}
        assert _names(d.learner.user, "people") == {d.learner.name}
    everything = east_enterprises | {e.name for e in west.enterprises}
    assert _names(cast.platform_admin, "enterprises") == everything
    assert _names(cast.platform_admin, "people") == {east.learner.name, west.learner.name}
    assert east_jurisdictions <= _names(cast.platform_admin, "jurisdictions", "code")
    for resource in ("enterprises", "people", "jurisdictions"):
        assert _names(cast.outsider, resource) == set()


def test_anonymous_lists_are_refused(db: None) -> None:
    for resource in ("enterprises", "people", "jurisdictions"):
        response = Client().get(f"/api/v1/{resource}/")
        assert response.status_code in (401, 403)
        assert response.json()["detail"]


def test_id_number_is_full_only_for_the_managing_admin_and_platform_admin(cast: Cast) -> None:
    person = cast.east.learner
    masked = mask_id_number(person.id_number)
    assert masked != person.id_number

    def shown_to(user: Any) -> str:
        rows = login_client(user).get("/api/v1/people/").json()["results"]
        return next(r["id_number"] for r in rows if r["id"] == person.pk)

    assert shown_to(cast.east.enterprise_admin) == person.id_number
    assert shown_to(cast.platform_admin) == person.id_number
    for user in (cast.east.bureau, cast.east.proctor, cast.east.training_admin, person.user):
        assert shown_to(user) == masked
    detail = login_client(cast.east.bureau).get(f"/api/v1/people/{person.pk}/").json()
    assert detail["id_number"] == masked


# --- JSON errors --------------------------------------------------------------------


def test_unknown_api_route_is_json_404(cast: Cast) -> None:
    for client in (Client(), login_client(cast.east.bureau)):
        response = client.get("/api/v1/no-such-thing/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]


def test_foreign_object_is_json_404(cast: Cast) -> None:
    response = login_client(cast.west.bureau).get(f"/api/v1/enterprises/{cast.east.enterprises[0].pk}/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_wrong_method_is_json_405(cast: Cast) -> None:
    response = login_client(cast.east.bureau).delete("/api/v1/enterprises/")
    assert response.status_code == 405
    assert response.json()["detail"]


def test_malformed_json_body_is_json_400(db: None) -> None:
    response = Client().post(TOKEN, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def _boom(request: HttpRequest) -> None:
    raise RuntimeError("secret internal detail 42")


urlpatterns = [
    path("api/v1/test-boom/", _boom),
    path("", include("config.urls")),
]


@pytest.mark.urls("tests.accounts.test_api")
def test_unexpected_exception_is_json_500(cast: Cast) -> None:
    client = login_client(cast.east.bureau)
    client.raise_request_exception = False
    response = client.get("/api/v1/test-boom/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"]
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
