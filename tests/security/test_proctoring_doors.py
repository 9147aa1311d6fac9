"""Proctoring rules hold on every door: web pages, the API for token clients, and the websocket (cookie or token).

- Face processing needs consent first (web and API).
- The identity check is only for an examinee the session admits (web and API).
- The examinee socket is only for the attempt's own examinee, whether the socket
  authenticates by session cookie or by API token; a token socket is refused with
  a bad token, with a foreign Origin, and never takes its token from the URL.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exams.services.attempts import attempt_start
from proctoring.models import FaceEnrolment, IdentityCheck
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol, identity_decide, identity_request_manual
from tests.conftest import Cast, login_client
from tests.doors import session_cookie, socket_answer, socket_open

# Private storage in a temporary folder; pool connections closed after the socket tests.
from tests.proctoring.conftest import _close_pool_connections, _private_storage, proctored_session  # noqa: F401 - autouse fixtures
from tests.support import faces

OWN_ORIGIN = (b"origin", b"http://127.0.0.1:8000")
FOREIGN_ORIGIN = (b"origin", b"https://evil.example")
HUGE = 2**70


def _key(user: Any) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def _token_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {_key(user)}")
    return client


def _photo(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("capture.jpg", data, content_type="image/jpeg")


def _session(cast: Cast, **policy: Any) -> Any:
    return proctored_session(cast, bank_code=f"doors-{len(policy)}", **policy)


def _running_attempt(cast: Cast) -> Any:
    session = _session(cast)
    learner = cast.east.learner
    check = identity_request_manual(session=session, person=learner)
    identity_decide(check=check, by=cast.east.proctor, passed=True)
    return attempt_start(session=session, person=learner, notice_confirmed=True)


def _connect(path: str, headers: list[tuple[bytes, bytes]], subprotocols: list[str] | None = None) -> tuple[bool, Any]:
    async def run() -> tuple[bool, Any]:
        communicator, connected, detail = await socket_open(path, headers, subprotocols)
        if connected:
            hello = await communicator.receive_json_from(timeout=10)
            assert hello["type"] == "hello"
        await communicator.disconnect()
        return connected, detail

    return async_to_sync(run)()


# --- consent before any face processing ----------------------------------------------------


@pytest.mark.django_db
def test_enrolment_needs_consent_on_the_web_and_the_api(cast: Cast) -> None:
    astronaut_jpeg = faces.astronaut_jpeg()
    learner = cast.east.learner
    web = login_client(learner.user).post(
        reverse("proctoring:my_face"),
        {"action": "enrol", "photo": _photo(astronaut_jpeg)},
        HTTP_ACCEPT="application/json",
    )
    api = _token_client(learner.user).post(
        reverse("api:proctoring-enrolment"), {"photo": _photo(astronaut_jpeg)}, format="multipart"
    )
    assert (web.status_code, web.json()["code"]) == (403, "consent_required")
    assert (api.status_code, api.json()["code"]) == (403, "consent_required")
    assert not FaceEnrolment.objects.exists()


@pytest.mark.django_db
def test_consent_and_enrolment_belong_to_the_caller_only(cast: Cast) -> None:
    """There is no person id to pass: a bureau official or an outsider without a roster entry gets 404."""
    astronaut_jpeg = faces.astronaut_jpeg()
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    enrol(person=cast.east.learner, photo=astronaut_jpeg, source="live", by=cast.east.learner.user)
    for user in (cast.east.bureau, cast.west.bureau, cast.outsider):
        client = _token_client(user)
        for url in (reverse("api:proctoring-consent"), reverse("api:proctoring-enrolment")):
            assert client.get(url).status_code == 404, (url, user)
        assert client.delete(reverse("api:proctoring-consent")).status_code == 404
    # The west learner reads and withdraws their own consent, never the east learner's.
    west = _token_client(cast.west.learner.user)
    assert west.get(reverse("api:proctoring-enrolment")).json()["enrolled"] is False
    west.delete(reverse("api:proctoring-consent"))
    assert FaceEnrolment.objects.filter(person=cast.east.learner).exists()
    for url in (reverse("api:proctoring-consent"), reverse("api:proctoring-enrolment")):
        assert APIClient().get(url).status_code == 401


# --- the identity check only for admitted examinees --------------------------------------------


@pytest.mark.django_db
def test_identity_check_refuses_outsiders_on_the_web_and_the_api(cast: Cast) -> None:
    astronaut_snapshot = faces.snapshot_jpeg(faces.astronaut_bgr())
    session = _session(cast)
    web_url = reverse("proctoring:identity_check", args=[session.pk])
    api_url = reverse("api:exam-identity-check", args=[session.pk])
    manual_url = reverse("api:exam-identity-check-manual", args=[session.pk])
    for user in (cast.west.learner.user, cast.outsider, cast.east.bureau, cast.west.enterprise_admin):
        assert login_client(user).get(web_url).status_code == 404, user
        assert login_client(user).post(web_url, {"action": "manual"}).status_code == 404, user
        client = _token_client(user)
        assert client.get(api_url).status_code == 404, user
        assert client.post(api_url, {"photo": _photo(astronaut_snapshot)}, format="multipart").status_code == 404
        assert client.post(manual_url).status_code == 404, user
    assert not IdentityCheck.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["api:exam-identity-check", "api:exam-identity-check-manual", "api:exam-attempt-proctoring"]
)
def test_huge_ids_are_404(cast: Cast, name: str) -> None:
    client = _token_client(cast.east.learner.user)
    # The <id:...> converter cannot reverse an id it refuses to match: write the path by hand.
    url = reverse(name, args=[1]).replace("/1/", f"/{HUGE}/")
    response = client.post(url) if name.endswith("manual") else client.get(url)
    assert response.status_code == 404


# --- the examinee socket: cookie and token doors ---------------------------------------------


ws_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@ws_db
def test_token_socket_is_the_token_owners_only(cast: Cast) -> None:
    attempt = _running_attempt(cast)
    path = f"/ws/proctoring/attempts/{attempt.pk}/"
    owner = _key(cast.east.learner.user)
    # The owner's token: accepted with or without (our) Origin, the subprotocol echoed.
    assert _connect(path, [], ["safetrain.token", owner]) == (True, "safetrain.token")
    assert _connect(path, [OWN_ORIGIN], ["safetrain.token", owner]) == (True, "safetrain.token")
    # Another person's token gets the same refusal as their cookie.
    for user in (cast.west.learner.user, cast.east.proctor, cast.east.bureau, cast.outsider):
        assert _connect(path, [], ["safetrain.token", _key(user)]) == (False, 4403), user
        assert _connect(path, [OWN_ORIGIN, session_cookie(user)]) == (False, 4403), user
    # A token socket is judged by its token alone, not by a cookie it also carries.
    assert _connect(
        path, [OWN_ORIGIN, session_cookie(cast.east.learner.user)], ["safetrain.token", _key(cast.outsider)]
    ) == (
        False,
        4403,
    )


@ws_db
def test_token_socket_refuses_bad_tokens(cast: Cast) -> None:
    attempt = _running_attempt(cast)
    path = f"/ws/proctoring/attempts/{attempt.pk}/"
    owner = _key(cast.east.learner.user)
    assert _connect(path, [], ["safetrain.token", "0" * 40]) == (False, 4401)
    assert _connect(path, [], ["safetrain.token"]) == (False, 4401)
    assert _connect(path, [], ["safetrain.token", "x" * 500]) == (False, 4401)
    # Never from the URL, which ends up in access logs.
    assert _connect(f"{path}?token={owner}", [])[0] is False
    assert _connect(f"{path}?token={owner}", [OWN_ORIGIN]) == (False, 4401)
    # The socket applies the API's token rules (organizations.authentication.TokenAuthentication): an inactive
    # account's token is refused there, so here too.
    user = cast.east.learner.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _connect(path, [], ["safetrain.token", owner]) == (False, 4401)


@ws_db
def test_token_socket_with_a_foreign_origin_is_refused(cast: Cast) -> None:
    attempt = _running_attempt(cast)
    path = f"/ws/proctoring/attempts/{attempt.pk}/"
    owner = _key(cast.east.learner.user)
    for origin in (FOREIGN_ORIGIN, (b"origin", b"http://127.0.0.1.evil.example"), (b"origin", b"null")):
        connected, _code = _connect(path, [origin], ["safetrain.token", owner])
        assert not connected, origin
    # Cookie sockets still need our Origin: a browser would send the cookie from any site.
    connected, _code = _connect(path, [session_cookie(cast.east.learner.user)])
    assert not connected
    connected, _code = _connect(path, [FOREIGN_ORIGIN, session_cookie(cast.east.learner.user)])
    assert not connected
    assert _connect(path, [OWN_ORIGIN, session_cookie(cast.east.learner.user)])[0]


@ws_db
def test_token_sockets_obey_the_mfa_and_password_rules_of_the_api(cast: Cast) -> None:
    """The websocket is a token door too: MFA enrolment and a forced password change are refused there."""
    attempt = _running_attempt(cast)
    grid = f"/ws/proctoring/sessions/{attempt.session_id}/"
    proctor = _key(cast.east.proctor)
    assert socket_answer(grid, subprotocols=["safetrain.token", proctor]) == (True, "safetrain.token")
    with override_settings(MFA_REQUIRED_ROLES=["proctor"]):
        # The proctor holds a role that requires TOTP and has none: the same token is refused.
        assert socket_answer(grid, subprotocols=["safetrain.token", proctor]) == (False, 4401)
        assert _token_client(cast.east.proctor).get(reverse("api:api-me")).status_code == 403
    examinee = f"/ws/proctoring/attempts/{attempt.pk}/"
    learner = cast.east.learner.user
    owner = _key(learner)
    assert _connect(examinee, [], ["safetrain.token", owner]) == (True, "safetrain.token")
    learner.must_change_password = True
    learner.save(update_fields=["must_change_password"])
    assert _connect(examinee, [], ["safetrain.token", owner]) == (False, 4401)
