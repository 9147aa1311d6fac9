"""Proctoring services on real faces: consent, enrolment, identity check, events and policy, snapshots, review."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from exams.models import Attempt, Certificate, CertificateType
from exams.services.attempts import attempt_save_answer, attempt_start, attempt_submit
from proctoring import storage
from proctoring.models import (
    BrowserEvent,
    FaceConsent,
    FaceEnrolment,
    Flag,
    IdentityCheck,
    ProctorMessage,
    ReviewDecision,
    Snapshot,
)
from proctoring.selectors import identity_status, review_queue
from proctoring.services.actions import policy_set, proctor_terminate, review_decide
from proctoring.services.consent import consent_give, consent_withdraw
from proctoring.services.errors import (
    AlreadyDecided,
    AttemptFinished,
    BadEvent,
    BadImage,
    ConsentRequired,
    IdentityLocked,
    OutOfSequence,
)
from proctoring.services.events import EventResult, event_record
from proctoring.services.identity import enrol, identity_check_face, identity_decide, identity_request_manual
from proctoring.services.snapshots import snapshot_process, snapshot_receive
from tests.proctoring.conftest import enrol_astronaut, make_proctored, pass_identity_check
from tests.support import faces

pytestmark = pytest.mark.django_db


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- consent and enrolment -------------------------------------------------------------


def test_enrolment_needs_consent_first(cast: Any, astronaut_jpeg: bytes) -> None:
    person = cast.east.learner
    with pytest.raises(ConsentRequired):
        enrol(person=person, photo=astronaut_jpeg, source=FaceEnrolment.Source.LIVE, by=person.user)
    assert not FaceEnrolment.objects.exists()


def test_enrolment_stores_the_encoding_and_a_private_photo(cast: Any, astronaut_jpeg: bytes) -> None:
    enrolment = enrol_astronaut(cast.east.learner, astronaut_jpeg)
    assert len(bytes(enrolment.encoding)) == 1024
    stored = Path(settings.PRIVATE_STORAGE_ROOT) / "proctoring" / enrolment.photo_path
    assert stored.read_bytes() == astronaut_jpeg
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    consent = FaceConsent.objects.get(person=cast.east.learner)
    assert consent.text_version == settings.PROCTORING_CONSENT_VERSION
    assert consent.given_by == cast.east.learner.user


@pytest.mark.parametrize(
    ("photo", "reason"),
    [
        (b"%PDF-1.4 not an image", "not_an_image"),
        (faces.astronaut_jpeg()[:5000], "truncated_image"),
        (faces.blank_jpeg(), "reference_no_face"),
    ],
)
def test_a_bad_reference_photo_is_refused_and_nothing_is_written(cast: Any, photo: bytes, reason: str) -> None:
    person = cast.east.learner
    consent_give(person=person, by=person.user)
    with pytest.raises(BadImage) as info:
        enrol(person=person, photo=photo, source=FaceEnrolment.Source.LIVE, by=person.user)
    assert info.value.details["reason"] == reason
    assert info.value.message
    assert not FaceEnrolment.objects.exists()
    assert _files(Path(settings.PRIVATE_STORAGE_ROOT)) == []


def test_withdrawing_consent_purges_biometrics_but_keeps_the_results(
    cast: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes, django_capture_on_commit_callbacks: Any
) -> None:
    data = make_proctored(cast, start=False)
    person = cast.east.learner
    enrol_astronaut(person, astronaut_jpeg)
    identity_check_face(session=data["session"], person=person, frame=astronaut_snapshot)
    data["attempt"] = attempt_start(session=data["session"], person=person, notice_confirmed=True)
    snap = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)
    snapshot_process(snapshot_id=snap.pk)
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    assert len(_files(root)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        deleted = consent_withdraw(person=person, by=person.user)

    assert deleted == 3
    assert _files(root) == []
    assert not FaceEnrolment.objects.filter(person=person).exists()
    snap.refresh_from_db()
    assert snap.photo_path == ""
    assert snap.photo_purged_at is not None
    assert snap.outcome == "match"
    assert snap.distance is not None
    assert IdentityCheck.objects.get(person=person).distance is not None
    assert FaceConsent.objects.get(person=person).withdrawn_at is not None


# --- identity check --------------------------------------------------------------------


def test_the_enrolled_face_passes_the_identity_check(
    cast: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    data = make_proctored(cast, start=False)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    check = identity_check_face(session=data["session"], person=cast.east.learner, frame=astronaut_snapshot)
    assert check.result == IdentityCheck.Result.PASSED
    assert check.distance is not None
    assert check.distance <= check.threshold
    assert identity_status(data["session"], cast.east.learner).passed


def test_after_n_failed_tries_a_proctor_decides(cast: Any, astronaut_jpeg: bytes, hopper_snapshot: bytes) -> None:
    data = make_proctored(cast, start=False, identity_max_tries=2)
    person = cast.east.learner
    enrol_astronaut(person, astronaut_jpeg)
    first = identity_check_face(session=data["session"], person=person, frame=hopper_snapshot)
    assert first.result == IdentityCheck.Result.FAILED
    assert first.outcome == "mismatch"
    assert identity_status(data["session"], person).tries_left == 1
    identity_check_face(session=data["session"], person=person, frame=hopper_snapshot)
    status = identity_status(data["session"], person)
    assert status.state == "pending_manual"
    with pytest.raises(IdentityLocked):
        identity_check_face(session=data["session"], person=person, frame=hopper_snapshot)
    pending = IdentityCheck.objects.get(person=person, kind=IdentityCheck.Kind.MANUAL)
    identity_decide(check=pending, by=cast.east.proctor, passed=True, note="身份证核对一致")
    assert identity_status(data["session"], person).passed
    with pytest.raises(AlreadyDecided):
        identity_decide(check=pending, by=cast.east.proctor, passed=False, note="证件不符")


def test_someone_without_a_camera_takes_the_manual_path(cast: Any) -> None:
    data = make_proctored(cast, start=False)
    check = identity_request_manual(session=data["session"], person=cast.east.learner)
    assert check.result == IdentityCheck.Result.PENDING
    assert identity_status(data["session"], cast.east.learner).state == "pending_manual"
    identity_decide(check=check, by=cast.east.proctor, passed=False, note="证件不符")
    assert identity_status(data["session"], cast.east.learner).state == "rejected"


def test_manual_path_refused_when_the_exam_requires_the_face_check(cast: Any) -> None:
    data = make_proctored(cast, start=False, allow_non_biometric=False)
    with pytest.raises(IdentityLocked):
        identity_request_manual(session=data["session"], person=cast.east.learner)


# --- events and the tab-switch policy -----------------------------------------------------


def _event(data: dict[str, Any], seq: int, event: str, **extra: Any) -> EventResult:
    return event_record(
        attempt_id=data["attempt"].pk, session_id=data["session"].pk, client_seq=seq, event_type=event, **extra
    )


def test_tab_switches_warn_then_submit_automatically(cast: Any, proctored: dict[str, Any]) -> None:
    # policy: warn at 2, submit at 3, ignore switches shorter than 2 s
    seq = iter(range(1, 100))
    assert _event(proctored, next(seq), "hidden").notices == []
    assert not _event(proctored, next(seq), "visible", duration_ms=800).counted  # too short to count
    _event(proctored, next(seq), "hidden")
    first = _event(proctored, next(seq), "visible", duration_ms=5000)
    assert first.counted
    assert first.tab_switches == 1
    assert first.notices == []
    _event(proctored, next(seq), "hidden")
    second = _event(proctored, next(seq), "visible", duration_ms=3000)
    assert [n["type"] for n in second.notices] == ["warning"]
    assert "3" in second.notices[0]["text"]  # tells the examinee where the limit is
    _event(proctored, next(seq), "hidden")
    third = _event(proctored, next(seq), "visible", duration_ms=9000)
    assert third.submitted
    attempt = Attempt.objects.get(pk=proctored["attempt"].pk)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submit_reason == Attempt.SubmitReason.AUTO_POLICY  # not a person: the policy
    assert set(Flag.objects.filter(attempt=attempt).values_list("kind", flat=True)) == {
        "tab_switches",
        "auto_submitted",
    }
    assert ProctorMessage.objects.filter(attempt=attempt, kind="policy").count() == 2
    with pytest.raises(AttemptFinished):
        _event(proctored, next(seq), "hidden")


def test_without_a_submit_limit_switches_only_warn(cast: Any) -> None:
    data = make_proctored(cast, tab_warn_at=1, tab_ignore_seconds=0, phone_aware=False)
    for n in range(1, 6):
        result = _event(data, n, "visible", duration_ms=100)
        assert result.notices
        assert result.notices[0]["type"] == "warning"
    assert Attempt.objects.get(pk=data["attempt"].pk).status == Attempt.Status.IN_PROGRESS


def test_a_blur_that_also_hid_the_page_counts_once(cast: Any, proctored: dict[str, Any]) -> None:
    _event(proctored, 1, "blur")
    _event(proctored, 2, "hidden")
    assert _event(proctored, 3, "visible", duration_ms=4000).counted
    assert not _event(proctored, 4, "focus", duration_ms=4100, hidden_during=True).counted
    _event(proctored, 5, "blur")
    assert _event(proctored, 6, "focus", duration_ms=4000).counted  # another window, page never hidden
    assert _event(proctored, 7, "copy").tab_switches == 2


def test_phone_aware_mode_tolerates_system_popups(cast: Any) -> None:
    data = make_proctored(cast, phone_aware=True, tab_ignore_seconds=1)
    assert not _event(data, 1, "focus", duration_ms=30000).counted  # a call notification took focus
    assert not _event(data, 2, "visible", duration_ms=(settings.PROCTORING_PHONE_GRACE_SECONDS - 1) * 1000).counted
    assert _event(data, 3, "visible", duration_ms=(settings.PROCTORING_PHONE_GRACE_SECONDS + 1) * 1000).counted


def test_events_are_stored_once_and_in_sequence(cast: Any, proctored: dict[str, Any]) -> None:
    _event(proctored, 1, "blur")
    assert _event(proctored, 1, "blur").duplicate  # a resend after a reconnect
    with pytest.raises(OutOfSequence) as info:
        _event(proctored, 5, "copy")  # forged / skipped ahead
    assert info.value.details["expected"] == 2
    for bad in (0, -1, "2", 2.5, True, None):
        with pytest.raises(BadEvent):
            _event(proctored, bad, "copy")
    with pytest.raises(BadEvent):
        _event(proctored, 2, "teleport")
    with pytest.raises(BadEvent):
        _event(proctored, 2, "visible", duration_ms=-5)
    _event(proctored, 2, "copy")
    assert list(BrowserEvent.objects.values_list("client_seq", "type")) == [(1, "blur"), (2, "copy")]


# --- snapshots and face flags ----------------------------------------------------------------


_frame_clock = itertools.count(1)


def _snap(data: dict[str, Any], frame: bytes) -> Snapshot:
    # Frames at the policy's rate (at most one per snapshot_min_seconds, 20 s here).
    at = timezone.now() + dt.timedelta(seconds=25 * next(_frame_clock))
    snapshot = snapshot_receive(attempt_id=data["attempt"].pk, data=frame, now=at)
    return snapshot_process(snapshot_id=snapshot.pk)


def test_snapshots_of_the_enrolled_face_match(
    cast: Any, proctored: dict[str, Any], astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    snap = _snap(proctored, astronaut_snapshot)
    assert snap.status == Snapshot.Status.PROCESSED
    assert snap.outcome == "match"
    assert snap.distance < snap.threshold == pytest.approx(0.48)
    assert snap.mismatch_threshold == pytest.approx(0.63)
    assert snapshot_process(snapshot_id=snap.pk).processed_at == snap.processed_at  # idempotent


def test_another_face_is_flagged_after_k_in_a_row(
    cast: Any,
    proctored: dict[str, Any],
    astronaut_jpeg: bytes,
    astronaut_snapshot: bytes,
    hopper_snapshot: bytes,
    blank_snapshot: bytes,
) -> None:
    # policy: flag after 2 failures in a row
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    assert _snap(proctored, hopper_snapshot).outcome == "mismatch"
    assert _snap(proctored, astronaut_snapshot).outcome == "match"  # the run is broken
    assert _snap(proctored, blank_snapshot).outcome == "no_face"
    assert not Flag.objects.filter(kind="face").exists()
    assert _snap(proctored, hopper_snapshot).outcome == "mismatch"
    flag = Flag.objects.get(kind="face")
    assert flag.attempt_id == proctored["attempt"].pk
    assert (
        Attempt.objects.get(pk=proctored["attempt"].pk).status == Attempt.Status.IN_PROGRESS
    )  # face results alone never submit
    assert list(review_queue(cast.east.proctor)) == []  # still running: not yet decidable, but listed once finished
    attempt_submit(attempt=proctored["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    assert [a.pk for a in review_queue(cast.east.proctor)] == [proctored["attempt"].pk]
    assert list(review_queue(cast.west.proctor)) == []


def test_face_auto_submit_only_when_the_exam_says_so(cast: Any, astronaut_jpeg: bytes, hopper_snapshot: bytes) -> None:
    data = make_proctored(cast, face_flag_after=1, face_submit_after=2)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    _snap(data, hopper_snapshot)
    _snap(data, hopper_snapshot)
    attempt = Attempt.objects.get(pk=data["attempt"].pk)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submit_reason == Attempt.SubmitReason.AUTO_POLICY  # not a person: the policy


def test_a_snapshot_is_never_silently_dropped(
    cast: Any, proctored: dict[str, Any], astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    # Consent given, no face enrolled: the frame is kept but cannot be compared.
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    no_reference = _snap(proctored, astronaut_snapshot)
    assert (no_reference.status, no_reference.failure_reason) == ("failed", "no_reference")
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    # A frame that does not decode is refused at the door, with its reason for the client; nothing is stored.
    with pytest.raises(BadImage) as garbage:
        _snap(proctored, b"\xff\xd8\xff garbage that claims to be a JPEG")
    assert garbage.value.details["reason"] in ("corrupt_image", "truncated_image")
    with pytest.raises(BadImage) as truncated:
        _snap(proctored, astronaut_snapshot[: len(astronaut_snapshot) // 2])
    assert truncated.value.details["reason"] == "truncated_image"
    assert Snapshot.objects.count() == 1
    # A stored frame whose file is gone by the time it is processed still ends failed, with the reason.
    at = timezone.now() + dt.timedelta(seconds=25 * next(_frame_clock))
    stored = snapshot_receive(attempt_id=proctored["attempt"].pk, data=astronaut_snapshot, now=at)
    storage.delete(stored.photo_path)
    missing = snapshot_process(snapshot_id=stored.pk)
    assert (missing.status, missing.failure_reason) == ("failed", "file_missing")
    assert Snapshot.objects.filter(status="queued").count() == 0


def test_snapshots_refused_when_too_large_or_the_attempt_is_finished(
    cast: Any, proctored: dict[str, Any], astronaut_snapshot: bytes
) -> None:
    with pytest.raises(BadImage) as info:
        snapshot_receive(attempt_id=proctored["attempt"].pk, data=b"x" * (settings.PROCTORING_SNAPSHOT_MAX_BYTES + 1))
    assert info.value.details["reason"] == "frame_too_large"
    attempt_submit(attempt=proctored["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    with pytest.raises(AttemptFinished):
        snapshot_receive(attempt_id=proctored["attempt"].pk, data=astronaut_snapshot)
    assert not Snapshot.objects.exists()


# --- proctor actions and review -----------------------------------------------------------------


def test_proctor_terminates_with_a_recorded_reason(cast: Any, proctored: dict[str, Any]) -> None:
    with pytest.raises(BadEvent):
        proctor_terminate(attempt=proctored["attempt"], by=cast.east.proctor, reason="  ")
    attempt = proctor_terminate(attempt=proctored["attempt"], by=cast.east.proctor, reason="旁人代答")
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submit_reason == "proctor"
    message = ProctorMessage.objects.get(attempt=attempt, kind="terminate")
    assert (message.text, message.sent_by) == ("旁人代答", cast.east.proctor)
    assert Flag.objects.filter(attempt=attempt, kind="terminated").exists()


def test_an_invalid_decision_voids_the_score_and_revokes_the_certificate(cast: Any) -> None:
    from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session

    provider = cast.east.provider
    session = make_session(
        provider, make_paper(provider, make_bank(provider, code="rv")), certificate_type=CertificateType.NEW_EMPLOYEE
    )
    policy_set(session=session)
    pass_identity_check(session, cast.east.learner, cast.east.proctor)
    attempt = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    for aq in attempt.questions.all():
        attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)
    attempt = attempt_submit(attempt=attempt, reason="examinee").attempt
    assert Certificate.objects.get(attempt=attempt).status == "valid"
    with pytest.raises(BadEvent):
        review_decide(attempt=attempt, by=cast.east.proctor, decision="invalid", reason="")
    decision = review_decide(attempt=attempt, by=cast.east.proctor, decision="invalid", reason="替考")
    assert (decision.decided_by, decision.reason) == (cast.east.proctor, "替考")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.INVALIDATED
    assert attempt.passed is False
    assert Certificate.objects.get(attempt=attempt).status == "revoked"
    with pytest.raises(AlreadyDecided):
        review_decide(attempt=attempt, by=cast.east.proctor, decision="valid")
    assert ReviewDecision.objects.count() == 1


def test_a_valid_decision_keeps_the_result(cast: Any, proctored: dict[str, Any]) -> None:
    attempt = attempt_submit(attempt=proctored["attempt"], reason="examinee").attempt
    review_decide(attempt=attempt, by=cast.east.proctor, decision="valid")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
