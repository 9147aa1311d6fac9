"""Signing in and out by code or by hand, crediting at sign-out, the face path, the quiz gate, closing
(classroom.services.codes, classroom.services.attendance). Times are passed with ``now=``; nothing sleeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from classroom.models import Attendance, TrainingClass
from classroom.services import errors
from classroom.services.attendance import class_close, sign_by_code, sign_manual, sign_state
from classroom.services.codes import CODE_PERIOD, GRACE, class_code, code_read, sign_path
from classroom.services.schedule import class_cancel
from core.audit import audit_of
from tests.conftest import Cast
from tests.support.classroom import at, make_class
from training.models import CreditLedger, PlanTemplate, PlanTemplateStage


@pytest.fixture(autouse=True)
def _english_and_private(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    with translation.override("en"):
        yield


def _sign(c: TrainingClass, user: Any, kind: str, minutes: float, **kwargs: Any) -> Attendance:
    now = at(minutes)
    return sign_by_code(training_class=c, user=user, code=class_code(c, kind, now=now).code, now=now, **kwargs)


# --- codes --------------------------------------------------------------------------------------------


def test_code_says_its_kind_and_rotates_every_30_seconds(cast: Cast) -> None:
    c = make_class(cast)
    now = at(0)
    code = class_code(c, "in", now=now)
    assert code.kind == "in"
    assert code.code.startswith("in-")
    assert code_read(c, code.code, now=now) == "in"
    assert code_read(c, class_code(c, "out", now=now).code, now=now) == "out"
    later = class_code(c, "in", now=now + dt.timedelta(seconds=CODE_PERIOD))
    assert later.code != code.code
    # expires_at is honest: accepted until then, refused from then on
    assert code.refresh_at is not None
    assert code.expires_at == code.refresh_at + dt.timedelta(seconds=GRACE)
    assert code_read(c, code.code, now=code.expires_at - dt.timedelta(microseconds=1)) == "in"
    with pytest.raises(errors.CodeExpired):
        code_read(c, code.code, now=code.expires_at)


def test_a_photo_of_an_old_code_is_refused_as_expired(cast: Cast) -> None:
    c = make_class(cast)
    old = class_code(c, "in", now=at(0)).code
    with pytest.raises(errors.CodeExpired):
        sign_by_code(training_class=c, user=cast.east.learner.user, code=old, now=at(2))
    assert not Attendance.objects.exists()


def test_forged_future_and_other_class_codes_are_invalid(cast: Cast) -> None:
    c = make_class(cast)
    other = make_class(cast, topic="车间级安全教育")
    now = at(0)
    good = class_code(c, "in", now=now).code
    kind, window, mac = good.split("-")
    future = class_code(c, "in", now=now + dt.timedelta(seconds=CODE_PERIOD * 3)).code
    for code in (
        "in-1-0000000000000000",
        f"{kind}-{window}-{'0' * 16}",
        f"out-{window}-{mac}",  # the kind is signed too
        class_code(other, "in", now=now).code,
        future,
        "",
        "扫码",
    ):
        with pytest.raises(errors.CodeInvalid):
            sign_by_code(training_class=c, user=cast.east.learner.user, code=code, now=now)
    assert not Attendance.objects.exists()


def test_sign_path_is_the_sign_page_with_the_code(cast: Cast) -> None:
    c = make_class(cast)
    assert sign_path(c, "in-5-abc") == f"/classes/{c.pk}/sign/?code=in-5-abc"


# --- signing by code ------------------------------------------------------------------------------------


def test_sign_in_and_out_on_time_credits_the_ledger_once(cast: Cast) -> None:
    c = make_class(cast)
    user = cast.east.learner.user
    a = _sign(c, user, "in", -3)
    assert (a.in_method, a.signed_in_at) == ("qr", at(-3))
    assert sign_state(a)["status"] == "signed_in"
    a = _sign(c, user, "out", 91)
    state = sign_state(a)
    assert state["status"] == "signed_out"
    assert state["credited_minutes"] == 90
    entry = CreditLedger.objects.get(learner=user)
    assert entry.method == "classroom"
    assert entry.lesson is None
    assert entry.seconds == 90 * 60
    assert entry.enterprise == cast.east.enterprises[0]
    assert entry.purpose == "other"
    assert entry.source.startswith(f"classroom:{c.pk} ")
    assert entry.detail == "应计 90 分钟；计 90 分钟"  # the ledger is kept in the platform's language
    a.refresh_from_db()
    assert a.ledger_entry == entry
    assert a.credited_at is not None
    with pytest.raises(errors.AlreadySignedOut):
        _sign(c, user, "out", 92)
    assert CreditLedger.objects.filter(learner=user).count() == 1


def test_late_arrival_beyond_tolerance_is_deducted_in_the_ledger(cast: Cast) -> None:
    c = make_class(cast)
    user = cast.east.learner.user
    _sign(c, user, "in", 25)
    _sign(c, user, "out", 90)
    entry = CreditLedger.objects.get(learner=user)
    assert entry.seconds == 65 * 60
    assert "迟到 25 分钟（容差 10 分钟）扣 25 分钟" in entry.detail


def test_second_sign_in_changes_nothing(cast: Cast) -> None:
    c = make_class(cast)
    user = cast.east.learner.user
    first = _sign(c, user, "in", 0)
    with pytest.raises(errors.AlreadySignedIn):
        _sign(c, user, "in", 5)
    assert Attendance.objects.get().signed_in_at == first.signed_in_at


def test_sign_out_code_before_sign_in_is_refused(cast: Cast) -> None:
    c = make_class(cast)
    with pytest.raises(errors.NotSignedIn) as info:
        _sign(c, cast.east.learner.user, "out", 0)
    assert "sign-out code" in info.value.message
    assert not Attendance.objects.exists()


def test_only_invitees_sign(cast: Cast) -> None:
    c = make_class(cast)
    for user in (cast.west.learner.user, cast.east.enterprise_admin, cast.outsider):
        with pytest.raises(errors.NotInvited):
            _sign(c, user, "in", 0)
    assert not Attendance.objects.exists()


def test_sign_in_window_opens_30_minutes_before_and_closes_at_the_end(cast: Cast) -> None:
    c = make_class(cast)
    user = cast.east.learner.user
    with pytest.raises(errors.ClassNotOpen):
        _sign(c, user, "in", -31)
    with pytest.raises(errors.ClassNotOpen):
        _sign(c, user, "in", 90.5)
    assert _sign(c, user, "in", -30).signed_in_at == at(-30)


def test_cancelled_and_closed_classes_refuse_signing(cast: Cast) -> None:
    cancelled = make_class(cast)
    class_cancel(training_class=cancelled, by=cast.east.enterprise_admin, reason="停电")
    with pytest.raises(errors.ClassNotOpen):
        _sign(cancelled, cast.east.learner.user, "in", 0)
    closed = make_class(cast, topic="车间级")
    _sign(closed, cast.east.learner.user, "in", 0)
    class_close(training_class=closed, by=cast.east.enterprise_admin, now=at(95))
    with pytest.raises(errors.ClassClosed):
        _sign(closed, cast.east.learner.user, "out", 95)


# --- by hand ---------------------------------------------------------------------------------------------


def test_manual_sign_in_needs_a_reason_and_is_audited(cast: Cast) -> None:
    c = make_class(cast)
    by = cast.east.enterprise_admin
    person = cast.east.learner
    with pytest.raises(errors.ReasonRequired):
        sign_manual(training_class=c, person=person, kind="in", reason=" ", by=by, now=at(0))
    a = sign_manual(training_class=c, person=person, kind="in", reason="没带手机", by=by, at=at(2), now=at(5))
    assert (a.in_method, a.signed_in_at) == ("manual", at(2))
    entry = audit_of(a).get()
    assert (entry.action, entry.reason, entry.actor) == ("classroom.sign_in_manual", "没带手机", by)
    a = sign_manual(training_class=c, person=person, kind="out", reason="没带手机", by=by, now=at(90))
    assert a.out_method == "manual"
    assert CreditLedger.objects.get(learner=person.user).seconds == 90 * 60
    assert audit_of(a).count() == 2


def test_manual_signing_is_for_who_runs_the_class_and_not_in_the_future(cast: Cast) -> None:
    c = make_class(cast)
    admin = cast.east.enterprise_admin
    outsiders = (cast.west.enterprise_admin, cast.east.learner.user, cast.east.bureau)
    refused = [
        *((cast.east.learner, user, {}, errors.NotAllowed) for user in outsiders),
        (cast.east.learner, admin, {"at": at(10)}, errors.ClassNotOpen),  # a sign-in time still to come
        (cast.west.learner, admin, {}, errors.NotInvited),
    ]
    for person, by, when, refusal in refused:
        with pytest.raises(refusal):
            sign_manual(training_class=c, person=person, kind="in", reason="x", by=by, now=at(0), **when)
    assert not Attendance.objects.exists()


# --- closing ---------------------------------------------------------------------------------------------


def test_close_signs_nobody_out_silently(cast: Cast) -> None:
    from tests import factories

    c = make_class(cast)
    by = cast.east.enterprise_admin
    stayed = factories.make_person(cast.east.enterprises[0])
    from classroom.services.schedule import invite

    invite(training_class=c, by=by, people=[stayed])
    _sign(c, cast.east.learner.user, "in", 0)
    _sign(c, stayed.user, "in", 0)
    # The trainer signs out by hand the one who stayed but whose phone died; the other left unnoticed.
    sign_manual(training_class=c, person=stayed, kind="out", reason="手机没电", by=by, now=at(90))
    with pytest.raises(errors.ClassNotOpen):
        class_close(training_class=make_class(cast, topic="未开始"), by=by, now=at(-1))
    closed = class_close(training_class=c, by=by, now=at(100))
    assert closed.status == "closed"
    assert closed.closed_at == at(100)
    forgot = Attendance.objects.get(person=cast.east.learner)
    assert forgot.signed_out_at is None
    assert forgot.credited_seconds == 0
    assert forgot.credit_detail == "未签退：不计学时。"
    assert not CreditLedger.objects.filter(learner=cast.east.learner.user).exists()
    assert CreditLedger.objects.get(learner=stayed.user).seconds == 90 * 60
    assert audit_of(closed).get().detail == {"without_sign_out": 1}


# --- the face path ------------------------------------------------------------------------------------------


def test_face_class_without_enrolment_points_to_the_manual_fallback(cast: Cast, astronaut_snapshot: bytes) -> None:
    c = make_class(cast, requires_face=True)
    with pytest.raises(errors.FaceRequired) as info:
        _sign(c, cast.east.learner.user, "in", 0, frame=astronaut_snapshot)
    assert "ask the trainer to sign you in by hand" in info.value.message
    assert not Attendance.objects.exists()


def test_face_class_signs_in_the_enrolled_face_only(
    cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes, settings: Any
) -> None:
    from tests.proctoring.conftest import enrol_astronaut
    from tests.support import faces

    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    c = make_class(cast, requires_face=True)
    user = cast.east.learner.user
    with pytest.raises(errors.FaceRequired):
        _sign(c, user, "in", 0)  # no photo
    with pytest.raises(errors.FaceCheckFailed):
        _sign(c, user, "in", 0, frame=faces.snapshot_jpeg(faces.grace_hopper_bgr()))
    assert not Attendance.objects.exists()
    a = _sign(c, user, "in", 0, frame=astronaut_snapshot)
    assert a.in_method == "qr_face"
    from core.private_files import private_path

    assert a.face_photo
    assert private_path("classroom", a.face_photo).read_bytes() == astronaut_snapshot
    # the sign-out needs no face
    assert _sign(c, user, "out", 90).out_method == "qr"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_in_face_photos_are_deleted_past_the_retention_and_on_withdrawal(
    cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes, settings: Any
) -> None:
    from classroom.services.attendance import face_photos_purge
    from core.private_files import private_path
    from proctoring.services.consent import consent_withdraw
    from tests.proctoring.conftest import enrol_astronaut

    settings.PROCTORING_RETENTION_DAYS = 30
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    user = cast.east.learner.user
    old, recent = make_class(cast, requires_face=True, topic="旧课"), make_class(cast, requires_face=True, topic="新课")
    first = _sign(old, user, "in", 0, frame=astronaut_snapshot)
    second = _sign(recent, user, "in", 0, frame=astronaut_snapshot)
    first_file, second_file = private_path("classroom", first.face_photo), private_path("classroom", second.face_photo)
    # Retention: 31 days after the first sign-in only photos that old go; how it was verified stays.
    Attendance.objects.filter(pk=second.pk).update(signed_in_at=second.signed_in_at + dt.timedelta(days=5))
    assert face_photos_purge(now=first.signed_in_at + dt.timedelta(days=31)) == 1
    first.refresh_from_db()
    assert (first.face_photo, first.in_method) == ("", "qr_face")
    assert not first_file.exists()
    assert second_file.exists()
    # Withdrawing face consent deletes the rest at once.
    assert consent_withdraw(person=cast.east.learner, by=user) >= 2  # the reference photo and this one
    second.refresh_from_db()
    assert second.face_photo == ""
    assert not second_file.exists()


# --- the quiz gate of an onboarding class ------------------------------------------------------------------


def _quiz_lesson(cast: Cast) -> Any:
    from tests.training.conftest import build_course, make_quiz_bank
    from training.models import Lesson

    bank = make_quiz_bank(cast, code="class-quiz", questions=1)
    lesson = Lesson.objects.filter(chapter__course=build_course(cast), kind="article").get()
    Lesson.objects.filter(pk=lesson.pk).update(quiz_bank_id=bank.pk, quiz_question_count=1)
    lesson.refresh_from_db()
    return lesson


def _take_quiz(user: Any, lesson: Any, *, right: bool) -> Any:
    from question_bank.models import Question
    from training.services.crediting import quiz_attempt_open, quiz_attempt_submit

    attempt = quiz_attempt_open(user=user, lesson=lesson)
    answers = {q.pk: ("B" if right else "A") for q in Question.objects.filter(pk__in=attempt.question_ids)}
    return quiz_attempt_submit(attempt=attempt, answers=answers)


def _stage() -> PlanTemplateStage:
    template = PlanTemplate.objects.create(name="三级安全教育", kind=PlanTemplate.Kind.ONBOARDING)
    return PlanTemplateStage.objects.create(template=template, level="plant", order=1)


def test_onboarding_credit_waits_for_the_end_of_class_quiz(cast: Cast) -> None:
    lesson = _quiz_lesson(cast)
    c = make_class(cast, onboarding_stage=_stage(), quiz_lesson=lesson)
    user = cast.east.learner.user
    _sign(c, user, "in", 0)
    a = _sign(c, user, "out", 90)
    assert a.ledger_entry is None
    assert sign_state(a)["credited_minutes"] == 90
    assert "课后测验通过后计入" in a.credit_detail
    assert not CreditLedger.objects.filter(learner=user).exists()
    assert not _take_quiz(user, lesson, right=False).passed
    assert not CreditLedger.objects.filter(learner=user).exists()
    assert _take_quiz(user, lesson, right=True).passed
    entry = CreditLedger.objects.get(learner=user)
    assert (entry.purpose, entry.seconds, entry.method) == ("onboarding", 90 * 60, "classroom")
    assert "课后测验已通过" in entry.detail
    a.refresh_from_db()
    assert a.ledger_entry == entry


def test_a_lapsed_quiz_credits_the_attended_minutes_as_other_training(cast: Cast, settings: Any) -> None:
    from classroom.services.attendance import quiz_window_lapse

    settings.CLASSROOM_QUIZ_DAYS = 7
    lesson = _quiz_lesson(cast)
    c = make_class(cast, onboarding_stage=_stage(), quiz_lesson=lesson)
    user = cast.east.learner.user
    _sign(c, user, "in", 0)
    _sign(c, user, "out", 90)
    # Within the quiz window nothing lapses: the credit still waits for the quiz.
    assert quiz_window_lapse(now=c.ends_at + dt.timedelta(days=6)) == 0
    assert not CreditLedger.objects.filter(learner=user).exists()
    # After it, the attended minutes reach the ledger as other training, and the line says why.
    assert quiz_window_lapse(now=c.ends_at + dt.timedelta(days=8)) == 1
    entry = CreditLedger.objects.get(learner=user)
    assert (entry.purpose, entry.seconds, entry.method) == ("other", 90 * 60, "classroom")
    assert "7 天内未通过" in entry.detail
    # Once only; and a quiz passed later does not add an onboarding row beside it.
    assert quiz_window_lapse(now=c.ends_at + dt.timedelta(days=9)) == 0
    assert _take_quiz(user, lesson, right=True).passed
    assert list(CreditLedger.objects.filter(learner=user).values_list("purpose", flat=True)) == ["other"]


def test_onboarding_class_without_quiz_credits_onboarding_at_once(cast: Cast) -> None:
    c = make_class(cast, onboarding_stage=_stage())
    user = cast.east.learner.user
    _sign(c, user, "in", 0)
    _sign(c, user, "out", 90)
    assert CreditLedger.objects.get(learner=user).purpose == "onboarding"
