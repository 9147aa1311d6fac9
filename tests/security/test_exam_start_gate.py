"""The exam start gate on every door: no question before the identity check, nothing used up by a refusal.

A proctored session's policy requires the identity check. Through the web start
view, the API (session and token auth) and both server doors (ASGI, WSGI), an examinee who
has not passed it gets no attempt started, no paper drawn and no question; once
a face check or a proctor's manual approval passes, the start works, and the
deadline counts from that start (the moment the paper is delivered).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core import preconditions
from exams.models import Attempt, AttemptQuestion, ExamSession
from exams.services.attempts import attempt_start
from exams.services.errors import PreconditionUnmet
from exams.services.sessions import session_prepare
from proctoring.models import FaceEnrolment, IdentityCheck
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol, identity_check_face, identity_decide, identity_request_manual
from tests.conftest import Cast, login_client, token_client
from tests.exams.conftest import CONFIRM, make_bank, make_paper, make_session
from tests.proctoring.conftest import _private_storage, proctored_session  # noqa: F401 - autouse fixture
from tests.support import faces

START = "/api/v1/exams/{}/attempts/"


def _proctored_session(cast: Cast, **policy: Any) -> ExamSession:
    return proctored_session(cast, bank_code="gate", **policy)


@pytest.fixture
def gated(cast: Cast) -> dict[str, Any]:
    """A proctored EAST session (identity check required) whose papers are prepared ahead, as in production."""
    session = _proctored_session(cast)
    session_prepare(session=session)
    stems = list(
        AttemptQuestion.objects.filter(attempt__session=session, attempt__person=cast.east.learner).values_list(
            "stem", flat=True
        )
    )
    assert stems  # the prepared paper exists: the point is that nobody is shown it
    return {"session": session, "person": cast.east.learner, "stems": stems}


def _state(session: ExamSession, person: Any) -> list[tuple[Any, ...]]:
    return list(
        Attempt.objects.filter(session=session, person=person)
        .order_by("seq")
        .values_list("seq", "status", "started_at", "deadline", "device_token")
    )


def _shows_no_question(body: str, stems: list[str]) -> bool:
    return not any(stem in body for stem in stems)


def _face_check_passed(session: ExamSession, person: Any) -> IdentityCheck:
    """Consent, a reference photo and a matching face check, all through the real services."""
    consent_give(person=person, by=person.user)
    enrol(person=person, photo=faces.astronaut_jpeg(), source=FaceEnrolment.Source.LIVE, by=person.user)
    check = identity_check_face(session=session, person=person, frame=faces.snapshot_jpeg(faces.astronaut_bgr()))
    assert check.result == IdentityCheck.Result.PASSED
    return check


# --- web ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_web_start_without_the_identity_check_sends_to_the_check_and_uses_nothing_up(gated: dict[str, Any]) -> None:
    session, person = gated["session"], gated["person"]
    client = login_client(person.user)
    before = _state(session, person)
    response = client.post(reverse("exams:start", args=[session.pk]), {"confirm_notice": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("proctoring:identity_check", args=[session.pk])
    assert _state(session, person) == before  # still prepared: not started, no deadline, no device
    page = client.get(response["Location"]).content.decode()
    assert "本场考试在发卷前需要身份核验" in page  # the refusal's message, in Chinese
    assert _shows_no_question(page, gated["stems"])


@pytest.mark.django_db
def test_web_start_without_the_notice_confirmed_is_refused_and_uses_nothing_up(cast: Cast) -> None:
    provider = cast.east.provider
    session = make_session(provider, make_paper(provider, make_bank(provider, code="plain")))  # not proctored
    client = login_client(cast.east.learner.user)
    response = client.post(reverse("exams:start", args=[session.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:notice", args=[session.pk])
    assert not Attempt.objects.filter(session=session).exists()
    notice = client.get(response["Location"]).content.decode()
    assert "请先阅读考试须知" in notice
    assert "我已阅读并同意考试须知" in notice
    confirmed = client.post(reverse("exams:start", args=[session.pk]), {"confirm_notice": "yes"})
    attempt = Attempt.objects.get(session=session)
    assert confirmed["Location"] == reverse("exams:attempt", args=[attempt.pk])


@pytest.mark.django_db
def test_the_notice_page_says_what_proctoring_records_and_the_my_exams_list_links_to_it(
    gated: dict[str, Any], settings: Any
) -> None:
    session, person = gated["session"], gated["person"]
    client = login_client(person.user)
    listing = client.get(reverse("exams:my_exams")).content.decode()
    assert reverse("exams:notice", args=[session.pk]) in listing
    assert reverse("exams:start", args=[session.pk]) not in listing  # no start without the notice
    page = client.get(reverse("exams:notice", args=[session.pk])).content.decode()
    assert "考试须知" in page
    assert "30 分钟" in page  # duration
    assert "共 8 题，总分 40 分" in page
    assert "剩余 1 / 1 次机会" in page
    assert "本场考试有监考" in page
    assert "每 20–60 秒抓拍一次人脸" in page
    assert f"保存 {settings.PROCTORING_RETENTION_DAYS} 天后删除" in page
    assert 'data-requirement="identity_check_required" data-satisfied="no"' in page
    assert reverse("proctoring:identity_check", args=[session.pk]) in page
    assert 'name="confirm_notice"' in page
    assert _shows_no_question(page, gated["stems"])


@pytest.mark.django_db
def test_the_notice_page_is_scoped(cast: Cast, gated: dict[str, Any]) -> None:
    url = reverse("exams:notice", args=[gated["session"].pk])
    for outsider in (cast.west.learner.user, cast.outsider):
        assert login_client(outsider).get(url).status_code == 404
        assert login_client(outsider).post(reverse("exams:start", args=[gated["session"].pk])).status_code == 404


# --- API: session auth and token auth -------------------------------------------------------


@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.django_db
def test_api_start_without_the_identity_check_is_refused_with_no_question(gated: dict[str, Any], auth: str) -> None:
    session, person = gated["session"], gated["person"]
    client = login_client(person.user) if auth == "session" else token_client(person.user)
    before = _state(session, person)
    refused = client.post(START.format(session.pk), CONFIRM, content_type="application/json")
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "identity_check_required"
    assert "questions" not in body
    assert _shows_no_question(refused.content.decode(), gated["stems"])
    assert body["requirement"]["satisfied"] is False
    assert body["requirement"]["details"]["identity_state"] == "needs_check"
    assert _state(session, person) == before


@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.django_db
def test_api_start_without_confirm_notice_is_a_400_naming_the_field(gated: dict[str, Any], auth: str) -> None:
    session, person = gated["session"], gated["person"]
    _face_check_passed(session, person)
    client = login_client(person.user) if auth == "session" else token_client(person.user)
    before = _state(session, person)
    for body in ({}, {"confirm_notice": False}):
        refused = client.post(START.format(session.pk), body, content_type="application/json")
        assert refused.status_code == 400
        assert refused.json()["code"] == "notice_not_confirmed"
        assert refused.json()["field"] == "confirm_notice"
        assert _state(session, person) == before
    started = client.post(START.format(session.pk), CONFIRM, content_type="application/json")
    assert started.status_code == 201
    assert len(started.json()["questions"]) == 8


@pytest.mark.django_db
def test_the_exams_listing_says_what_a_token_client_must_do(gated: dict[str, Any]) -> None:
    session, person = gated["session"], gated["person"]
    rows = token_client(person.user).get("/api/v1/me/exams/").json()
    row = next(r for r in rows if r["session_id"] == session.pk)
    assert row["notice"]["duration_minutes"] == 30
    assert row["notice"]["question_count"] == 8
    assert row["notice"]["attempts_left"] == 1
    assert row["notice"]["rules"]
    [requirement] = row["requirements"]
    assert (requirement["code"], requirement["satisfied"]) == ("identity_check_required", False)
    details = requirement["details"]
    assert details["identity_state"] == "needs_check"
    assert details["tries_left"] == 3
    assert (details["consent_given"], details["enrolled"]) == (False, False)
    assert (details["snapshot_min_seconds"], details["snapshot_max_seconds"]) == (20, 60)
    assert details["api"]["websocket"] == "/ws/proctoring/attempts/{attempt_id}/"
    assert set(details["api"]) >= {"consent", "enrolment", "identity_check", "identity_check_manual"}
    _face_check_passed(session, person)
    again = token_client(person.user).get("/api/v1/me/exams/").json()
    passed = next(r for r in again if r["session_id"] == session.pk)["requirements"][0]
    assert (passed["satisfied"], passed["details"]["identity_state"]) == (True, "passed")
    assert (passed["details"]["consent_given"], passed["details"]["enrolled"]) == (True, True)


# --- the service every door calls ----------------------------------------------------------


@pytest.mark.django_db
def test_after_the_face_check_the_deadline_counts_from_the_start_that_delivers_the_paper(
    gated: dict[str, Any],
) -> None:
    session, person = gated["session"], gated["person"]
    tapped = timezone.now()
    with pytest.raises(PreconditionUnmet) as refused:
        attempt_start(session=session, person=person, notice_confirmed=True, now=tapped)
    assert refused.value.code == "identity_check_required"
    assert refused.value.status == 403
    _face_check_passed(session, person)
    delivered = tapped + dt.timedelta(minutes=7)  # the face check took a while
    attempt = attempt_start(session=session, person=person, notice_confirmed=True, now=delivered)
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert attempt.started_at == delivered
    assert attempt.deadline == delivered + dt.timedelta(minutes=session.duration_minutes)
    stored = Attempt.objects.get(pk=attempt.pk)
    assert (stored.started_at, stored.deadline) == (delivered, delivered + dt.timedelta(minutes=30))
    # Resuming does not ask again (the check was made at delivery) and keeps the deadline.
    resumed = attempt_start(session=session, person=person, now=delivered + dt.timedelta(minutes=3))
    assert resumed.pk == attempt.pk
    assert Attempt.objects.get(pk=attempt.pk).deadline == stored.deadline


@pytest.mark.django_db
def test_a_proctors_manual_approval_opens_the_start(cast: Cast, gated: dict[str, Any]) -> None:
    session, person = gated["session"], gated["person"]
    client = login_client(person.user)
    asked = client.post(reverse("proctoring:identity_check", args=[session.pk]), {"action": "manual"})
    assert asked.status_code == 302
    pending = client.post(START.format(session.pk), CONFIRM, content_type="application/json")
    assert (pending.status_code, pending.json()["requirement"]["details"]["identity_state"]) == (
        403,
        "pending_manual",
    )
    check = IdentityCheck.objects.get(session=session, person=person)
    identity_decide(check=check, by=cast.east.proctor, passed=True, note="身份证核对一致")
    started = client.post(START.format(session.pk), CONFIRM, content_type="application/json")
    assert started.status_code == 201
    assert {q["stem"] for q in started.json()["questions"]} == set(gated["stems"])


@pytest.mark.django_db
def test_a_rejected_manual_check_keeps_the_paper_shut(cast: Cast, gated: dict[str, Any]) -> None:
    session, person = gated["session"], gated["person"]
    check = identity_request_manual(session=session, person=person)
    identity_decide(check=check, by=cast.east.proctor, passed=False, note="证件不符")
    refused = login_client(person.user).post(START.format(session.pk), CONFIRM, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["requirement"]["details"]["identity_state"] == "rejected"
    assert _state(session, person)[0][1] == Attempt.Status.PREPARED


@pytest.mark.django_db
def test_a_session_without_a_policy_costs_the_gate_one_query(cast: Cast, django_assert_num_queries: Any) -> None:
    provider = cast.east.provider
    session = make_session(provider, make_paper(provider, make_bank(provider, code="cheap")))
    assert preconditions.registered()  # proctoring registered its check in ready()
    with django_assert_num_queries(1):
        assert preconditions.first_unmet(session=session, person=cast.east.learner) is None


@pytest.mark.django_db
def test_a_not_yet_started_paper_reaches_no_page_or_api(cast: Cast, gated: dict[str, Any]) -> None:
    """The attempt page, the result page and API, the answer API: none serves a prepared paper's questions."""
    session, person = gated["session"], gated["person"]
    prepared = Attempt.objects.get(session=session, person=person)
    assert prepared.status == Attempt.Status.PREPARED
    question = prepared.questions.first()
    client = login_client(person.user)
    bodies = [
        client.get(reverse("exams:attempt", args=[prepared.pk])),
        client.get(reverse("exams:result", args=[prepared.pk])),
        client.get(f"/api/v1/attempts/{prepared.pk}/result/"),
        client.get(f"/api/v1/attempts/{prepared.pk}/answers/{question.pk}/"),
        client.put(
            f"/api/v1/attempts/{prepared.pk}/answers/{question.pk}/",
            json.dumps({"answer": "A", "client_seq": 1}),
            content_type="application/json",
        ),
        client.post(f"/api/v1/attempts/{prepared.pk}/submit/", {}, content_type="application/json"),
        client.get(reverse("exams:notice", args=[session.pk])),
        client.get("/api/v1/me/exams/"),
    ]
    for response in bodies:
        assert response.status_code != 500
        assert _shows_no_question(response.content.decode(), gated["stems"]), response.request["PATH_INFO"]
    assert Attempt.objects.get(pk=prepared.pk).status == Attempt.Status.PREPARED


# --- both HTTP doors: the ASGI app (embedded default) and the WSGI app (gunicorn, scaled out) ---


def _through(door: str, method: str, path: str, body: bytes, token: str) -> tuple[int, bytes]:
    from config.asgi import application as asgi_app
    from config.wsgi import application as wsgi_app
    from tests.doors import call_asgi, call_wsgi

    headers = [
        ("Authorization", f"Token {token}"),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
    ]
    if door == "asgi":
        status, _headers, content = call_asgi(asgi_app, method, path, body, headers)
    else:
        status, _headers, content = call_wsgi(wsgi_app, method, path, body, headers)
    return status, content


@pytest.mark.parametrize("door", ["asgi", "wsgi"])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_server_door_refuses_an_unchecked_start_and_starts_a_checked_one(gated: dict[str, Any], door: str) -> None:
    session, person = gated["session"], gated["person"]
    token = Token.objects.create(user=person.user).key
    try:
        before = _state(session, person)
        status, content = _through(door, "POST", START.format(session.pk), json.dumps(CONFIRM).encode(), token)
        assert status == 403
        assert json.loads(content)["code"] == "identity_check_required"
        assert _shows_no_question(content.decode(), gated["stems"])
        status, content = _through(door, "POST", START.format(session.pk), b"{}", token)
        assert (status, json.loads(content)["code"]) == (400, "notice_not_confirmed")
        assert _state(session, person) == before
        _face_check_passed(session, person)
        status, content = _through(door, "POST", START.format(session.pk), json.dumps(CONFIRM).encode(), token)
        assert status == 201
        assert {q["stem"] for q in json.loads(content)["questions"]} == set(gated["stems"])
    finally:
        gc.collect()
