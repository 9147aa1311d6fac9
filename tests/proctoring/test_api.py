"""The proctored flow for token clients: consent, enrolment, identity check, the attempt's socket (proctoring/api.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exams.models import Attempt
from exams.services.attempts import attempt_start, attempt_submit
from proctoring.models import BrowserEvent, FaceConsent, FaceEnrolment, IdentityCheck, Snapshot
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol, identity_decide, identity_request_manual
from tests.conftest import Cast
from tests.doors import socket_open
from tests.proctoring.conftest import proctored_session
from tests.support import faces

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def token_client(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def photo(data: bytes, name: str = "capture.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def pass_identity_manually(session: Any, person: Any, proctor: Any) -> None:
    check = identity_request_manual(session=session, person=person)
    identity_decide(check=check, by=proctor, passed=True)


CONSENT = reverse("api:proctoring-consent")
ENROLMENT = reverse("api:proctoring-enrolment")


# --- consent ---------------------------------------------------------------------------------


def test_consent_is_read_given_once_and_withdrawn(cast: Cast, settings: Any, astronaut_jpeg: bytes) -> None:
    settings.PROCTORING_RETENTION_DAYS = 45
    settings.PROCTORING_CONSENT_VERSION = "2026-03"
    client = token_client(cast.east.learner.user)
    shown = client.get(CONSENT).json()
    assert shown["version"] == "2026-03"
    assert shown["retention_days"] == 45
    assert "45 days" in shown["retention"]
    assert "reference photo" in shown["text"]
    assert shown["active"] is False
    assert shown["given_at"] is None

    given = client.post(CONSENT, {"agree": True, "version": "2026-03"}, format="json")
    assert given.status_code == 201
    assert given.json()["active"] is True
    assert given.json()["given_version"] == "2026-03"
    consent = FaceConsent.objects.get(person=cast.east.learner)
    assert consent.text_version == "2026-03"
    assert consent.given_by == cast.east.learner.user
    # Giving it again changes nothing.
    assert client.post(CONSENT, {"agree": True, "version": "2026-03"}, format="json").status_code == 200
    assert FaceConsent.objects.count() == 1

    assert client.post(ENROLMENT, {"photo": photo(astronaut_jpeg)}, format="multipart").status_code == 201
    withdrawn = client.delete(CONSENT)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["active"] is False
    assert withdrawn.json()["images_deleted"] == 1
    assert not FaceEnrolment.objects.exists()
    assert FaceConsent.objects.get().withdrawn_at is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "2026-01"}, "agree"),
        ({"agree": False, "version": "2026-01"}, "agree"),
        ({"agree": True}, "version"),
        ({"agree": True, "version": "2025-07"}, "version"),
    ],
    ids=["no agree", "agree false", "no version", "stale version"],
)
def test_consent_is_refused_without_agree_or_with_a_stale_version(
    cast: Cast, settings: Any, body: dict[str, Any], field: str
) -> None:
    settings.PROCTORING_CONSENT_VERSION = "2026-01"
    response = token_client(cast.east.learner.user).post(CONSENT, body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")
    assert field in response.json()["errors"]
    assert not FaceConsent.objects.exists()


def test_a_stale_version_names_the_current_one(cast: Cast, settings: Any) -> None:
    settings.PROCTORING_CONSENT_VERSION = "2026-09"
    body = token_client(cast.east.learner.user).post(CONSENT, {"agree": True, "version": "2026-01"}, format="json")
    assert "2026-09" in body.json()["detail"]


def test_consent_text_is_chinese_by_default(cast: Cast) -> None:
    client = APIClient()  # no Accept-Language: the platform's default language
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cast.east.learner.user).key}")
    shown = client.get(CONSENT).json()
    assert "人脸" in shown["text"]
    assert "天后删除" in shown["retention"]
    assert "人工核验" in shown["alternative"]
    refused = client.post(CONSENT, {"agree": False, "version": shown["version"]}, format="json").json()
    assert refused["detail"].startswith("agree:")
    assert "人工核验" in refused["detail"]


# --- enrolment -------------------------------------------------------------------------------


def test_enrolment_needs_consent_then_takes_a_live_photo(cast: Cast, astronaut_jpeg: bytes) -> None:
    client = token_client(cast.east.learner.user)
    assert client.get(ENROLMENT).json() == {
        "consent": False,
        "consent_outdated": False,
        "enrolled": False,
        "enrolled_at": None,
        "source": None,
    }
    refused = client.post(ENROLMENT, {"photo": photo(astronaut_jpeg)}, format="multipart")
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_required"
    assert not FaceEnrolment.objects.exists()

    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    enrolled = client.post(ENROLMENT, {"photo": photo(astronaut_jpeg)}, format="multipart")
    assert enrolled.status_code == 201
    status = client.get(ENROLMENT).json()
    assert status["enrolled"] is True
    assert status["source"] == "live"
    assert status["enrolled_at"]
    # Never the photo or the face data.
    assert set(status) == {"consent", "consent_outdated", "enrolled", "enrolled_at", "source"}
    assert FaceEnrolment.objects.get(person=cast.east.learner).source == FaceEnrolment.Source.LIVE


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (None, "empty"),
        (b"\x8b\x1f" + bytes(range(256)) * 8, "not_an_image"),
        ("blank", "reference_no_face"),
        ("oversized", "frame_too_large"),
    ],
    ids=["no file", "random bytes", "no face", "oversized"],
)
def test_a_bad_photo_is_400_with_the_reason(cast: Cast, settings: Any, upload: Any, reason: str) -> None:
    settings.PROCTORING_PHOTO_MAX_BYTES = 64 * 1024
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    client = token_client(cast.east.learner.user)
    if upload == "blank":
        upload = faces.blank_jpeg()
    elif upload == "oversized":
        upload = faces.astronaut_jpeg() + b"\0" * (64 * 1024)
    body = {} if upload is None else {"photo": photo(upload)}
    response = client.post(ENROLMENT, body, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_image"
    assert response.json()["reason"] == reason
    assert response.json()["detail"]
    assert not FaceEnrolment.objects.exists()


# --- identity check --------------------------------------------------------------------------


def test_identity_check_through_the_api(
    cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes, hopper_snapshot: bytes
) -> None:
    session = proctored_session(cast, identity_max_tries=3)
    url = reverse("api:exam-identity-check", args=[session.pk])
    client = token_client(cast.east.learner.user)
    status = client.get(url).json()
    assert status == {
        "session_id": session.pk,
        "required": True,
        "state": "needs_check",
        "passed": False,
        "tries_left": 3,
        "methods": ["face", "manual"],
        "consent": False,
        "consent_outdated": False,
        "enrolled": False,
        "liveness_required": False,
        "liveness_ok": False,
        "liveness_valid_seconds": 300,
    }
    not_enrolled = client.post(url, {"photo": photo(astronaut_snapshot)}, format="multipart")
    assert not_enrolled.status_code == 409
    assert not_enrolled.json()["code"] == "not_enrolled"

    client.post(CONSENT, {"agree": True, "version": settings.PROCTORING_CONSENT_VERSION}, format="json")
    assert client.post(ENROLMENT, {"photo": photo(astronaut_jpeg)}, format="multipart").status_code == 201
    assert client.get(url).json()["enrolled"] is True

    other_person = client.post(url, {"photo": photo(hopper_snapshot)}, format="multipart")
    assert other_person.status_code == 200
    assert other_person.json() == {"ok": False, "outcome": "mismatch", "state": "needs_check", "tries_left": 2}
    junk = client.post(url, {"photo": photo(b"not an image at all")}, format="multipart")
    assert junk.status_code == 400
    assert junk.json()["reason"] == "not_an_image"
    same_person = client.post(url, {"photo": photo(astronaut_snapshot)}, format="multipart")
    assert same_person.json() == {"ok": True, "outcome": "match", "state": "passed", "tries_left": 0}
    assert client.get(url).json()["methods"] == []
    assert list(
        IdentityCheck.objects.filter(session=session, person=cast.east.learner).values_list("result", flat=True)
    ) == ["failed", "passed"]


def test_after_the_last_failed_try_a_proctor_decides(cast: Cast, astronaut_jpeg: bytes, hopper_snapshot: bytes) -> None:
    session = proctored_session(cast, identity_max_tries=1, allow_non_biometric=False)
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    enrol(person=cast.east.learner, photo=astronaut_jpeg, source="live", by=cast.east.learner.user)
    url = reverse("api:exam-identity-check", args=[session.pk])
    client = token_client(cast.east.learner.user)
    assert client.get(url).json()["methods"] == ["face"]
    failed = client.post(url, {"photo": photo(hopper_snapshot)}, format="multipart").json()
    assert failed == {"ok": False, "outcome": "mismatch", "state": "pending_manual", "tries_left": 0}
    locked = client.post(url, {"photo": photo(hopper_snapshot)}, format="multipart")
    assert locked.status_code == 409
    assert locked.json()["code"] == "identity_locked"


def test_manual_check_only_where_the_policy_allows_it(cast: Cast) -> None:
    strict = proctored_session(cast, allow_non_biometric=False)
    lenient = proctored_session(cast, allow_non_biometric=True, tab_warn_at=2)
    client = token_client(cast.east.learner.user)
    refused = client.post(reverse("api:exam-identity-check-manual", args=[strict.pk]))
    assert refused.status_code == 409
    assert refused.json()["code"] == "identity_locked"
    assert "manual" not in client.get(reverse("api:exam-identity-check", args=[strict.pk])).json()["methods"]
    asked = client.post(reverse("api:exam-identity-check-manual", args=[lenient.pk]))
    assert asked.status_code == 200
    assert asked.json()["state"] == "pending_manual"
    assert asked.json()["methods"] == []
    check = IdentityCheck.objects.get(session=lenient, person=cast.east.learner)
    assert (check.kind, check.result) == ("manual", "pending")
    # The proctor passes it; the client sees it on its next poll.
    identity_decide(check=check, by=cast.east.proctor, passed=True)
    assert client.get(reverse("api:exam-identity-check", args=[lenient.pk])).json()["state"] == "passed"


def test_identity_routes_are_only_for_admitted_examinees(cast: Cast) -> None:
    session = proctored_session(cast)
    for name in ("api:exam-identity-check", "api:exam-identity-check-manual"):
        url = reverse(name, args=[session.pk])
        for user in (cast.west.learner.user, cast.outsider, cast.east.bureau, cast.west.bureau):
            client = token_client(user)
            assert client.get(url).status_code in (404, 405), (name, user)
            assert client.post(url, {}, format="multipart").status_code == 404, (name, user)
        assert APIClient().post(url).status_code == 401
    assert not IdentityCheck.objects.exists()


# --- the running attempt ---------------------------------------------------------------------


def test_the_attempt_says_what_the_client_must_send(cast: Cast) -> None:
    session = proctored_session(cast, snapshot_min_seconds=15, snapshot_max_seconds=45, tab_submit_at=4)
    learner = cast.east.learner
    pass_identity_manually(session, learner, cast.east.proctor)
    attempt = attempt_start(session=session, person=learner, notice_confirmed=True)
    url = reverse("api:exam-attempt-proctoring", args=[attempt.pk])
    body = token_client(learner.user).get(url).json()
    assert body["proctored"] is True
    assert body["identity_ok"] is True
    assert body["websocket_path"] == f"/ws/proctoring/attempts/{attempt.pk}/"
    assert body["subprotocol"] == "safetrain.token"
    assert (body["snapshot_min_seconds"], body["snapshot_max_seconds"]) == (15, 45)
    assert body["snapshot_max_bytes"] == settings.PROCTORING_SNAPSHOT_MAX_BYTES
    assert body["snapshot_format"] == "image/jpeg"
    assert body["tab_submit_at"] == 4
    assert {"hidden", "visible", "blur", "focus"} <= set(body["event_types"])
    assert {"event", "ping", "snapshot"} <= {m["type"] for m in body["client_messages"]}
    assert {"hello", "ack", "snapshot_ack", "warning", "face", "submitted", "error"} <= {
        m["type"] for m in body["server_messages"]
    }
    for user in (cast.west.learner.user, cast.outsider, cast.east.proctor, cast.east.bureau):
        assert token_client(user).get(url).status_code == 404, user
    assert APIClient().get(url).status_code == 401

    attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE)
    finished = token_client(learner.user).get(url)
    assert finished.status_code == 409
    assert finished.json()["code"] == "attempt_finished"


def test_an_unproctored_attempt_needs_no_socket(cast: Cast) -> None:
    from tests.exams.conftest import make_bank, make_paper, make_session

    paper = make_paper(cast.east.provider, make_bank(cast.east.provider, code="papi-plain"))
    attempt = attempt_start(
        session=make_session(cast.east.provider, paper), person=cast.east.learner, notice_confirmed=True
    )
    body = token_client(cast.east.learner.user).get(reverse("api:exam-attempt-proctoring", args=[attempt.pk])).json()
    assert body["proctored"] is False
    assert body["websocket_path"] is None
    assert body["snapshot_min_seconds"] is None


def test_the_schema_documents_the_proctoring_routes(cast: Cast) -> None:
    schema = (
        token_client(cast.east.learner.user).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    )
    paths = schema["paths"]
    for route, methods in {
        "/api/v1/proctoring/consent/": {"get", "post", "delete"},
        "/api/v1/proctoring/enrolment/": {"get", "post"},
        "/api/v1/exams/{session_id}/identity-check/": {"get", "post"},
        "/api/v1/exams/{session_id}/identity-check/manual/": {"post"},
        "/api/v1/attempts/{attempt_id}/proctoring/": {"get"},
    }.items():
        assert methods <= set(paths[route]), route
    assert "multipart/form-data" in paths["/api/v1/proctoring/enrolment/"]["post"]["requestBody"]["content"]
    assert (
        "multipart/form-data" in paths["/api/v1/exams/{session_id}/identity-check/"]["post"]["requestBody"]["content"]
    )
    assert {"400", "403"} <= set(paths["/api/v1/proctoring/enrolment/"]["post"]["responses"])


# --- the snapshot socket with a token ---------------------------------------------------------

ws_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@ws_db
def test_a_token_client_sits_the_proctored_exam_over_the_socket(
    cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    session = proctored_session(cast, tab_warn_at=1, tab_submit_at=5, tab_ignore_seconds=2, phone_aware=False)
    learner = cast.east.learner
    client = token_client(learner.user)
    key = Token.objects.get(user=learner.user).key
    start_url = reverse("api:exam-attempt-start", args=[session.pk])
    # The listing tells the client what the session needs before it may start.
    listed = next(row for row in client.get(reverse("api:my-exams")).json() if row["session_id"] == session.pk)
    requirement = next(r for r in listed["requirements"] if r["code"] == "identity_check_required")
    assert requirement["satisfied"] is False
    assert requirement["details"]["api"]["consent"] == CONSENT
    # Without consent, enrolment and the identity check the start is refused and no question is sent.
    refused = client.post(start_url, {"confirm_notice": True}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "identity_check_required"
    assert "questions" not in refused.json()
    assert not Attempt.objects.filter(session=session, person=learner, status=Attempt.Status.IN_PROGRESS).exists()
    # The whole flow through the API: consent, enrolment, identity check, then the attempt.
    client.post(CONSENT, {"agree": True, "version": settings.PROCTORING_CONSENT_VERSION}, format="json")
    client.post(ENROLMENT, {"photo": photo(astronaut_jpeg)}, format="multipart")
    check = client.post(
        reverse("api:exam-identity-check", args=[session.pk]), {"photo": photo(astronaut_snapshot)}, format="multipart"
    )
    assert check.json()["ok"] is True
    started = client.post(start_url, {"confirm_notice": True}, format="json")
    assert started.status_code == 201, started.content
    assert started.json()["questions"]
    attempt = Attempt.objects.get(pk=started.json()["attempt_id"])
    info = client.get(reverse("api:exam-attempt-proctoring", args=[attempt.pk])).json()

    async def run() -> list[dict[str, Any]]:
        # A mini-program sends no Origin header.
        communicator, connected, subprotocol = await socket_open(
            info["websocket_path"], subprotocols=[info["subprotocol"], key]
        )
        assert connected, subprotocol
        assert subprotocol == "safetrain.token"
        replies = [await communicator.receive_json_from(timeout=10)]
        await communicator.send_to(text_data=json.dumps({"type": "event", "seq": 1, "event": "hidden"}))
        replies.append(await communicator.receive_json_from(timeout=10))
        await communicator.send_to(
            text_data=json.dumps({"type": "event", "seq": 2, "event": "visible", "duration_ms": 6000})
        )
        replies.append(await communicator.receive_json_from(timeout=10))
        replies.append(await communicator.receive_json_from(timeout=10))
        await communicator.send_to(bytes_data=astronaut_snapshot)
        while True:
            reply = await communicator.receive_json_from(timeout=10)
            if reply["type"] == "snapshot_ack":
                replies.append(reply)
                break
        await communicator.disconnect()
        return replies

    hello, hidden, visible, warning, snapshot_ack = async_to_sync(run)()
    assert hello == {"type": "hello", "last_seq": 0, "tab_switches": 0, "finished": False}
    assert hidden == {"type": "ack", "seq": 1, "tab_switches": 0}
    assert visible == {"type": "ack", "seq": 2, "tab_switches": 1}
    assert warning["type"] == "warning"
    assert warning["tab_switches"] == 1
    stored = Snapshot.objects.get(attempt=attempt)
    assert snapshot_ack == {"type": "snapshot_ack", "id": stored.pk}
    assert stored.size_bytes == len(astronaut_snapshot)
    assert list(BrowserEvent.objects.filter(attempt=attempt).values_list("client_seq", "type", "counted")) == [
        (1, "hidden", False),
        (2, "visible", True),
    ]
