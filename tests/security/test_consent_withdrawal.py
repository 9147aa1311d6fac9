"""Withdrawing face-processing consent mid-exam never switches the camera off unnoticed, on every door.

Whether an attempt owes snapshots is decided when the paper is delivered: the
examinee passed the identity check by face, or had a face enrolled then
(``proctoring.selectors.snapshots_required_q``). Withdrawing consent while such
an attempt runs (service, API ``DELETE /api/v1/proctoring/consent/``, web
``/proctoring/face/`` withdraw) flags it for review at once (``consent_withdrawn``,
考试中撤回了人脸处理同意, on the live grid and in the review queue); later frames
are refused (``consent_required``: nothing stored, nothing face-matched), and
the missing-snapshot rule then applies as usual.

The policy under test: snapshots at most every 60 s, a gap flagged after
2 missed intervals plus 30 s of grace (150 s).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exams.models import Attempt
from exams.services.attempts import attempt_start, attempt_submit
from proctoring.models import AttemptMonitor, FaceEnrolment, Flag, ProctorMessage, Snapshot
from proctoring.selectors import dashboard_rows
from proctoring.services.actions import policy_set
from proctoring.services.consent import consent_give, consent_withdraw
from proctoring.services.errors import ConsentRequired
from proctoring.services.identity import enrol, identity_check_face, identity_decide, identity_request_manual
from proctoring.services.snapshots import snapshot_gaps_check, snapshot_process, snapshot_receive
from tests.conftest import Cast, login_client

# Private storage in a temporary folder; pool connections closed after the socket tests.
from tests.proctoring.conftest import _close_pool_connections, _private_storage  # noqa: F401 - autouse fixtures
from tests.support import faces

POLICY = {
    "snapshot_min_seconds": 20,
    "snapshot_max_seconds": 60,
    "missing_flag_after": 2,
    "missing_grace_seconds": 30,
    "require_liveness": False,  # the face check as before liveness: a still photo cannot pass liveness
}
DETAIL = "考试中撤回了人脸处理同意"


def _session(cast: Cast) -> Any:
    from tests.exams.conftest import make_bank, make_paper, make_session

    provider = cast.east.provider
    session = make_session(provider, make_paper(provider, make_bank(provider, code="withdraw")), title="监考考试")
    policy_set(session=session, **POLICY)
    return session


def _enrol(person: Any) -> None:
    consent_give(person=person, by=person.user)
    enrol(person=person, photo=faces.astronaut_jpeg(), source=FaceEnrolment.Source.LIVE, by=person.user)


def _camera_attempt(cast: Cast, *, check: str = "face") -> dict[str, Any]:
    """The learner enrolled, passed the identity check (by face, or manually), and got the paper."""
    session, learner = _session(cast), cast.east.learner
    _enrol(learner)
    if check == "face":
        passed = identity_check_face(session=session, person=learner, frame=faces.snapshot_jpeg(faces.astronaut_bgr()))
        assert passed.result == "passed"
    else:
        manual = identity_request_manual(session=session, person=learner)
        identity_decide(check=manual, by=cast.east.proctor, passed=True)
    attempt = attempt_start(session=session, person=learner, notice_confirmed=True)
    started = Attempt.objects.get(pk=attempt.pk).started_at
    return {"session": session, "attempt": attempt, "start": started}


def _at(data: dict[str, Any], seconds: float) -> dt.datetime:
    return data["start"] + dt.timedelta(seconds=seconds)


def _kinds(data: dict[str, Any]) -> list[str]:
    return list(Flag.objects.filter(attempt=data["attempt"]).values_list("kind", flat=True))


def _assert_flagged_now_and_gap_rule_applies(data: dict[str, Any]) -> None:
    flag = Flag.objects.get(attempt=data["attempt"], kind=Flag.Kind.CONSENT_WITHDRAWN)
    assert flag.detail == DETAIL
    assert AttemptMonitor.objects.get(attempt=data["attempt"]).flag_count == 1
    row = next(r for r in dashboard_rows(data["session"]) if r["attempt"] == data["attempt"].pk)
    assert (row["consent_withdrawn"], row["flags"]) == (True, 1)
    # The examinee is told why (a stored policy message, in the platform's language).
    assert ProctorMessage.objects.filter(attempt=data["attempt"], text__contains="撤回").exists()
    # The duty to send snapshots stands: the gap is flagged as for any camera attempt.
    result = snapshot_gaps_check(now=_at(data, 151))
    assert (result.in_gap, result.flagged) == (1, 1)
    assert sorted(_kinds(data)) == sorted([Flag.Kind.CONSENT_WITHDRAWN, Flag.Kind.SNAPSHOTS_MISSING])


# --- the service ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_withdrawal_mid_exam_is_flagged_at_once_and_the_gap_rule_still_applies(cast: Cast) -> None:
    data = _camera_attempt(cast)
    consent_withdraw(person=cast.east.learner, by=cast.east.learner.user, now=_at(data, 10))
    _assert_flagged_now_and_gap_rule_applies(data)


@pytest.mark.django_db
def test_enrolled_at_delivery_owes_snapshots_even_after_a_manual_check(cast: Cast) -> None:
    data = _camera_attempt(cast, check="manual")
    consent_withdraw(person=cast.east.learner, by=cast.east.learner.user, now=_at(data, 10))
    _assert_flagged_now_and_gap_rule_applies(data)


@pytest.mark.django_db
def test_no_frame_is_kept_or_face_matched_after_withdrawal(cast: Cast) -> None:
    data = _camera_attempt(cast)
    frame = faces.snapshot_jpeg(faces.astronaut_bgr())
    kept = snapshot_receive(attempt_id=data["attempt"].pk, data=frame, now=_at(data, 5))
    consent_withdraw(person=cast.east.learner, by=cast.east.learner.user, now=_at(data, 10))
    with pytest.raises(ConsentRequired) as refused:
        snapshot_receive(attempt_id=data["attempt"].pk, data=frame, now=_at(data, 60))
    assert refused.value.code == "consent_required"
    assert list(Snapshot.objects.values_list("pk", flat=True)) == [kept.pk]
    # The frame queued before the withdrawal is not matched afterwards either: its image went with the purge.
    processed = snapshot_process(snapshot_id=kept.pk)
    assert processed is not None
    assert processed.status == Snapshot.Status.FAILED
    assert (processed.distance, processed.outcome) == (None, "")


@pytest.mark.django_db
def test_the_review_queue_shows_the_withdrawal(cast: Cast) -> None:
    data = _camera_attempt(cast)
    consent_withdraw(person=cast.east.learner, by=cast.east.learner.user)
    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    page = login_client(cast.east.proctor).get(reverse("proctoring:review_queue"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "考试中撤回了人脸处理同意" in html
    live = login_client(cast.east.proctor).get(
        reverse("proctoring:live", args=[data["session"].pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "data-consent-withdrawn" in live.content.decode()
    assert "考试中撤回了同意" in live.content.decode()


@pytest.mark.django_db
def test_who_never_had_the_camera_on_is_neither_flagged_nor_owes_snapshots(cast: Cast) -> None:
    # Consent given but no face enrolled; the identity check done by a proctor: the page never turned a camera on.
    session, learner = _session(cast), cast.east.learner
    consent_give(person=learner, by=learner.user)
    manual = identity_request_manual(session=session, person=learner)
    identity_decide(check=manual, by=cast.east.proctor, passed=True)
    attempt = attempt_start(session=session, person=learner, notice_confirmed=True)
    consent_withdraw(person=learner, by=learner.user)
    started = Attempt.objects.get(pk=attempt.pk).started_at
    assert snapshot_gaps_check(now=started + dt.timedelta(hours=1)).in_gap == 0
    assert not Flag.objects.filter(attempt=attempt).exists()


# --- the API door -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_delete_consent_mid_exam(cast: Cast) -> None:
    data = _camera_attempt(cast)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=cast.east.learner.user)[0].key}")
    response = client.delete(reverse("api:proctoring-consent"))
    assert response.status_code == 200
    about = client.get(reverse("api:exam-attempt-proctoring", args=[data["attempt"].pk])).json()
    # No camera any more, but the attempt still owes its snapshots.
    assert (about["camera"], about["snapshots_required"]) == (False, True)
    _assert_flagged_now_and_gap_rule_applies(data)


# --- the web door -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_web_withdraw_on_the_face_page_mid_exam(cast: Cast) -> None:
    data = _camera_attempt(cast)
    response = login_client(cast.east.learner.user).post(reverse("proctoring:my_face"), {"action": "withdraw"})
    assert response.status_code == 302
    _assert_flagged_now_and_gap_rule_applies(data)


# --- the websocket door ---------------------------------------------------------------------------------

db_transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@db_transactional
def test_socket_refuses_frames_after_withdrawal_and_the_grid_hears_of_it(cast: Cast) -> None:
    from tests.doors import session_cookie, socket_open
    from tests.proctoring.test_consumers import OWN_ORIGIN, _receive_until

    data = _camera_attempt(cast)
    learner = cast.east.learner
    user = learner.user
    frame = faces.snapshot_jpeg(faces.astronaut_bgr())
    grid_headers, examinee_headers = [OWN_ORIGIN, session_cookie(cast.east.proctor)], [OWN_ORIGIN, session_cookie(user)]

    async def run() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        from channels.db import database_sync_to_async

        grid, connected, _ = await socket_open(f"/ws/proctoring/sessions/{data['session'].pk}/", grid_headers)
        assert connected
        await _receive_until(grid, "rows")
        examinee, connected, _ = await socket_open(f"/ws/proctoring/attempts/{data['attempt'].pk}/", examinee_headers)
        assert connected
        await _receive_until(examinee, "hello")
        await database_sync_to_async(consent_withdraw)(person=learner, by=user)
        warning = await _receive_until(examinee, "warning")
        update = await _receive_until(grid, "snapshots")
        await examinee.send_to(bytes_data=frame)
        error = await _receive_until(examinee, "error")
        await examinee.disconnect()
        await grid.disconnect()
        return warning, update, error

    with ThreadPoolExecutor(max_workers=1) as pool:
        warning, update, error = pool.submit(asyncio.run, run()).result(timeout=120)
    assert warning["consent_withdrawn"] is True
    assert update == {"type": "snapshots", "attempt": data["attempt"].pk, "consent_withdrawn": True, "flags": 1}
    assert error["code"] == "consent_required"
    assert not Snapshot.objects.filter(attempt=data["attempt"]).exists()
