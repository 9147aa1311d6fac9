"""Signing in and out of a class (by code, or by hand with a reason), crediting at sign-out, closing the class.

Rules, on every door (web page, API, admin):

* only invitees sign; a cancelled class is not open, a closed one is closed;
* sign-in from ``SIGN_IN_LEAD`` before the start until the end; sign-out any
  time after one's sign-in while the class is not closed;
* a second sign-in (or sign-out) is refused and changes nothing;
* a class with ``requires_face`` checks the face at sign-in with proctoring's
  consent, enrolment and matcher (the proctoring policy's default thresholds);
  without a usable enrolment the learner is told to ask the trainer for a
  manual sign-in, the non-biometric fallback;
* the credit is decided at sign-out by the pure ``credit_decide`` and written
  to the ledger once, in the sign-out's transaction. A class that fulfils an
  onboarding stage and has an end-of-class quiz waits for the quiz: the ledger
  row is written when the learner passes it (``quiz_passed``, a follow-up of
  ``training.services.crediting.quiz_attempt_submit``). Attended hours are
  never lost: a quiz not passed within ``CLASSROOM_QUIZ_DAYS`` after the class
  ends credits the same minutes as other training, not toward the onboarding
  stage (``quiz_window_lapse``, run by the classroom periodic job).

Tolerance is a threshold, not a free allowance: lateness (or early leave) of
at most ``tolerance_minutes`` costs nothing; beyond it the whole lateness is
deducted (25 minutes late with a tolerance of 10 costs 25 minutes, not 15).
Only whole minutes count (10 min 59 s late is 10 minutes late).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from classroom import selectors
from classroom.models import Attendance, Invitation, TrainingClass
from classroom.services.codes import code_read
from classroom.services.errors import (
    AlreadySignedIn,
    AlreadySignedOut,
    ClassClosed,
    ClassNotOpen,
    FaceCheckFailed,
    FaceRequired,
    NotAllowed,
    NotInvited,
    NotSignedIn,
    ReasonRequired,
)
from core.audit import audit_record
from core.private_files import PrivateFolder
from organizations import selectors as org
from organizations.models import Person
from proctoring import vision
from proctoring.services.errors import BadImage, ConsentOutdated, NotEnrolled, check_image_size, image_reason_text
from proctoring.services.identity import enrolled_face_check, photo_upload_allow, usable_enrolment
from training.models import CreditLedger, QuizAttempt

SIGN_IN_LEAD = dt.timedelta(minutes=30)
PRIVATE_FOLDER = "classroom"
# Sign-in face photos are biometric data: encrypted at rest when BIOMETRIC_ENCRYPTION_KEY is set.
_faces = PrivateFolder(PRIVATE_FOLDER, biometric=True)
Kind = str  # "in" | "out"


# --- the credit rule (pure) ------------------------------------------------------------------------------


def credit_decide(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    signed_in_at: dt.datetime | None,
    signed_out_at: dt.datetime | None,
    credit_minutes: int,
    tolerance_minutes: int,
) -> tuple[int, str]:
    """Seconds to credit and the explanation of every minute (in the active language).

    The scheduled credit, less the minutes of late arrival and of early leave that are beyond the
    tolerance (a threshold: within it nothing is deducted, beyond it all of it), never below 0.
    Without a sign-in or a sign-out nothing is credited."""
    if signed_in_at is None:
        return 0, _("Not signed in: nothing credited.")
    if signed_out_at is None:
        return 0, _("No sign-out: nothing credited.")
    late = max(0, int((signed_in_at - starts_at).total_seconds() // 60))
    early = max(0, int((ends_at - signed_out_at).total_seconds() // 60))
    parts = [_("Scheduled %(n)d minutes") % {"n": credit_minutes}]
    deducted = 0
    for minutes, beyond, within in (
        (
            late,
            _("late %(n)d minutes (tolerance %(t)d minutes), %(n)d minutes deducted"),
            _("late %(n)d minutes (tolerance %(t)d minutes), not deducted"),
        ),
        (
            early,
            _("left %(n)d minutes early (tolerance %(t)d minutes), %(n)d minutes deducted"),
            _("left %(n)d minutes early (tolerance %(t)d minutes), not deducted"),
        ),
    ):
        if minutes == 0:
            continue
        if minutes > tolerance_minutes:
            deducted += minutes
            parts.append(beyond % {"n": minutes, "t": tolerance_minutes})
        else:
            parts.append(within % {"n": minutes, "t": tolerance_minutes})
    credited = max(0, min(credit_minutes, credit_minutes - deducted))
    parts.append(_("credited %(n)d minutes") % {"n": credited})
    return credited * 60, _("; ").join(parts)


# --- reading -------------------------------------------------------------------------------------------


def sign_state(attendance: Attendance | None) -> dict[str, Any]:
    """What the learner sees of their own attendance: ``status`` (invited, signed_in, signed_out),
    the times, the credited minutes and how they were counted."""
    if attendance is None:
        return {
            "status": "invited",
            "signed_in_at": None,
            "signed_out_at": None,
            "credited_minutes": 0,
            "credit_detail": "",
        }
    return {
        "status": "signed_out" if attendance.signed_out_at else "signed_in",
        "signed_in_at": attendance.signed_in_at,
        "signed_out_at": attendance.signed_out_at,
        "credited_minutes": attendance.credited_seconds // 60,
        "credit_detail": attendance.credit_detail,
    }


def credit_waits_for_quiz(attendance: Attendance) -> bool:
    """Signed out, with credit decided but not yet in the ledger: the end-of-class quiz is still to be passed."""
    return bool(attendance.signed_out_at and attendance.credited_at is None and attendance.credited_seconds > 0)


# --- checks ------------------------------------------------------------------------------------------


def _require_open(training_class: TrainingClass) -> None:
    if training_class.status == TrainingClass.Status.CANCELLED:
        raise ClassNotOpen(_("This class was cancelled."))
    if training_class.status == TrainingClass.Status.CLOSED:
        raise ClassClosed(_("This class is closed: signing in or out is over."))


def sign_in_not_open_yet(training_class: TrainingClass, at: dt.datetime) -> str:
    """What a learner scanning now would be told while the sign-in window has not opened yet, else "".
    The trainer's board shows it above the code."""
    if at >= training_class.starts_at - SIGN_IN_LEAD:
        return ""
    try:
        _require_sign_in_window(training_class, at)
    except ClassNotOpen as exc:
        return exc.message
    return ""


def _require_sign_in_window(training_class: TrainingClass, at: dt.datetime) -> None:
    opens = training_class.starts_at - SIGN_IN_LEAD
    if at < opens:
        raise ClassNotOpen(
            _("Signing in opens %(minutes)d minutes before the class, at %(time)s.")
            % {"minutes": SIGN_IN_LEAD.seconds // 60, "time": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M")}
        )
    if at > training_class.ends_at:
        raise ClassNotOpen(
            _("The class ended at %(time)s: signing in is over. Ask the trainer.")
            % {"time": timezone.localtime(training_class.ends_at).strftime("%H:%M")}
        )


def _invited_person(training_class: TrainingClass, person: Person | None) -> Person:
    if person is None or not Invitation.objects.filter(training_class=training_class, person=person).exists():
        raise NotInvited(_("You are not invited to this class."))
    return person


def _lock(training_class: TrainingClass) -> TrainingClass:
    return TrainingClass.objects.select_for_update().get(pk=training_class.pk)


def _face_check(person: Person, frame: bytes | None, now: dt.datetime) -> bytes:
    """The photo that matched the person's enrolled face, or the refusal that says what to do."""
    fallback = _("If you cannot, ask the trainer to sign you in by hand.")
    try:
        enrolment = usable_enrolment(person)
    except (NotEnrolled, ConsentOutdated):
        raise FaceRequired(
            _("This class checks your face at sign-in, and no enrolled face of yours can be used.") + " " + fallback
        ) from None
    if not frame:
        raise FaceRequired(_("This class checks your face at sign-in: take a photo of your face.") + " " + fallback)
    photo_upload_allow(person=person, now=now)
    try:
        data = check_image_size(frame, settings.PROCTORING_PHOTO_MAX_BYTES)
        result = enrolled_face_check(data, enrolment)
    except BadImage as exc:
        raise FaceCheckFailed(exc.message + " " + fallback, reason=exc.details.get("reason", "bad_image")) from None
    except vision.VisionError as exc:
        raise FaceCheckFailed(image_reason_text(exc.reason) + " " + fallback, reason=exc.reason) from None
    if result.outcome != vision.Outcome.MATCH:
        raise FaceCheckFailed(
            _("The photo does not match your enrolled face. Try again: face the camera, in good light.")
            + " "
            + fallback,
            reason=str(result.outcome),
        )
    return data


def _face_photo_save(training_class: TrainingClass, person: Person, data: bytes) -> str:
    suffix = ".png" if data[:8] == b"\x89PNG\r\n\x1a\n" else ".jpg"
    return _faces.write(f"faces/{training_class.pk}/{person.pk}-{secrets.token_hex(8)}{suffix}", data)


def _face_photo_delete(relative: str) -> None:
    _faces.delete(relative)


def _face_photos_drop(attendances: Any) -> int:
    """Forget and delete (after the commit) the sign-in face photos of ``attendances``; returns how many."""
    rows = list(attendances.exclude(face_photo="").values_list("pk", "face_photo"))
    if rows:
        Attendance.objects.filter(pk__in=[pk for pk, _path in rows]).update(face_photo="")
        paths = [path for _pk, path in rows]
        transaction.on_commit(lambda: [_face_photo_delete(p) for p in paths])
    return len(rows)


def face_photos_purge(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Retention (PIPL): delete sign-in face photos older than the proctoring retention
    (``PROCTORING_RETENTION_DAYS``), like proctoring's identity-check photos; the attendance keeps how it was
    verified. Run by the classroom periodic job. Returns how many photos were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days if days is not None else settings.PROCTORING_RETENTION_DAYS)
    with transaction.atomic():
        return _face_photos_drop(Attendance.objects.filter(signed_in_at__lt=cutoff))


def face_photos_of_person_purge(*, person: Person, deleted: list[int], **_kwargs: Any) -> None:
    """Follow-up of ``proctoring.biometrics_purged`` (consent withdrawn): the person's sign-in face photos go too."""
    deleted.append(_face_photos_drop(Attendance.objects.filter(person=person)))


# --- crediting ---------------------------------------------------------------------------------------------


def _quiz_passed_since(training_class: TrainingClass, person: Person, since: dt.datetime) -> bool:
    return QuizAttempt.objects.filter(
        learner_id=person.user_id, lesson_id=training_class.quiz_lesson_id, passed=True, submitted_at__gte=since
    ).exists()


def _ledger_write(
    attendance: Attendance, training_class: TrainingClass, now: dt.datetime, *, onboarding: bool | None = None
) -> CreditLedger:
    person = attendance.person
    if onboarding is None:
        onboarding = training_class.onboarding_stage_id is not None
    assert attendance.signed_out_at is not None
    return CreditLedger.objects.create(
        learner_id=person.user_id,
        lesson=None,
        started_at=attendance.signed_in_at,
        ended_at=attendance.signed_out_at,
        seconds=attendance.credited_seconds,
        method=CreditLedger.Method.CLASSROOM,
        detail=attendance.credit_detail[:200],
        post=person.post,
        enterprise_id=person.enterprise_id,
        purpose=CreditLedger.Purpose.ONBOARDING if onboarding else CreditLedger.Purpose.OTHER,
        source=f"classroom:{training_class.pk} {training_class.topic}"[:255],
    )


def _class_credit(
    training_class: TrainingClass, signed_in_at: dt.datetime | None, signed_out_at: dt.datetime | None
) -> tuple[int, str]:
    """``credit_decide`` under the class's schedule, credit and tolerance."""
    return credit_decide(
        starts_at=training_class.starts_at,
        ends_at=training_class.ends_at,
        signed_in_at=signed_in_at,
        signed_out_at=signed_out_at,
        credit_minutes=training_class.credit_minutes,
        tolerance_minutes=training_class.tolerance_minutes,
    )


def _credit(attendance: Attendance, training_class: TrainingClass, now: dt.datetime) -> None:
    """Decide the credit of a just signed-out attendance and write the ledger row (inside the sign-out's
    transaction), unless it waits for the end-of-class quiz of an onboarding class."""
    with translation.override(settings.LANGUAGE_CODE):  # the ledger is evidence: kept in the platform's language
        seconds, detail = _class_credit(training_class, attendance.signed_in_at, attendance.signed_out_at)
        waits = (
            seconds > 0
            and training_class.onboarding_stage_id is not None
            and training_class.quiz_lesson_id is not None
            and not _quiz_passed_since(training_class, attendance.person, attendance.signed_in_at)
        )
        if waits:
            detail = detail + _("; ") + _("counts once the end-of-class quiz is passed")
    attendance.credited_seconds, attendance.credit_detail = seconds, detail[:300]
    fields = {"credited_seconds": seconds, "credit_detail": attendance.credit_detail}
    if seconds > 0 and not waits:
        entry = _ledger_write(attendance, training_class, now)
        attendance.ledger_entry, attendance.credited_at = entry, now
        fields.update(ledger_entry=entry, credited_at=now)
    Attendance.objects.filter(pk=attendance.pk).update(**fields)


def quiz_passed(*, attempt: QuizAttempt, **_kwargs: Any) -> int:
    """Follow-up of ``training.quiz_passed``: write the waiting ledger rows of the onboarding classes whose
    end-of-class quiz this attempt passed (attempts after one's sign-in only). Returns how many."""
    if not attempt.passed or attempt.submitted_at is None:
        return 0
    waiting = (
        Attendance.objects.select_for_update()
        .filter(
            person__user_id=attempt.learner_id,
            training_class__quiz_lesson_id=attempt.lesson_id,
            training_class__onboarding_stage__isnull=False,
            signed_out_at__isnull=False,
            signed_in_at__lte=attempt.submitted_at,
            ledger_entry__isnull=True,
            credited_seconds__gt=0,
        )
        .select_related("person", "training_class")
    )
    written = 0
    now = attempt.submitted_at
    for attendance in waiting:
        with translation.override(settings.LANGUAGE_CODE):
            detail = attendance.credit_detail.replace(
                _("; ") + _("counts once the end-of-class quiz is passed"), _("; ") + _("end-of-class quiz passed")
            )[:300]
        attendance.credit_detail = detail
        entry = _ledger_write(attendance, attendance.training_class, now)
        Attendance.objects.filter(pk=attendance.pk, ledger_entry__isnull=True).update(
            ledger_entry=entry, credited_at=now, credit_detail=detail
        )
        written += 1
    return written


def quiz_window_lapse(*, now: dt.datetime | None = None) -> int:
    """Credit as other training (not toward the onboarding stage) the waiting minutes of everyone who did not
    pass the end-of-class quiz within ``CLASSROOM_QUIZ_DAYS`` after the class ended. Returns how many."""
    now = now or timezone.now()
    lapsed = 0
    with transaction.atomic():
        waiting = (
            Attendance.objects.select_for_update()
            .filter(
                training_class__onboarding_stage__isnull=False,
                training_class__quiz_lesson__isnull=False,
                training_class__ends_at__lt=now - dt.timedelta(days=settings.CLASSROOM_QUIZ_DAYS),
                signed_out_at__isnull=False,
                ledger_entry__isnull=True,
                credited_seconds__gt=0,
            )
            .select_related("person", "training_class")
        )
        for attendance in waiting:
            with translation.override(settings.LANGUAGE_CODE):
                detail = attendance.credit_detail.replace(
                    _("; ") + _("counts once the end-of-class quiz is passed"),
                    _("; ")
                    + _("end-of-class quiz not passed within %(days)d days: counted as other training, not onboarding")
                    % {"days": settings.CLASSROOM_QUIZ_DAYS},
                )[:300]
            attendance.credit_detail = detail
            entry = _ledger_write(attendance, attendance.training_class, now, onboarding=False)
            Attendance.objects.filter(pk=attendance.pk, ledger_entry__isnull=True).update(
                ledger_entry=entry, credited_at=now, credit_detail=detail
            )
            lapsed += 1
    return lapsed


# --- signing -----------------------------------------------------------------------------------------------


def _sign_in(
    training_class: TrainingClass, person: Person, *, at: dt.datetime, method: str, face_photo: str = ""
) -> Attendance:
    if Attendance.objects.filter(training_class=training_class, person=person).exists():
        raise AlreadySignedIn(_("You are already signed in to this class."))
    try:
        with transaction.atomic():
            return Attendance.objects.create(
                training_class=training_class, person=person, signed_in_at=at, in_method=method, face_photo=face_photo
            )
    except IntegrityError:
        raise AlreadySignedIn(_("You are already signed in to this class.")) from None


def _sign_out(
    training_class: TrainingClass, person: Person, *, at: dt.datetime, method: str, now: dt.datetime
) -> Attendance:
    attendance = (
        Attendance.objects.select_for_update()
        .select_related("person")
        .filter(training_class=training_class, person=person)
        .first()
    )
    if attendance is None:
        raise NotSignedIn(_("Sign in first: this is the sign-out code."))
    if attendance.signed_out_at is not None:
        raise AlreadySignedOut(_("You have already signed out of this class."))
    if at < attendance.signed_in_at:
        raise NotSignedIn(_("The sign-out cannot be before the sign-in."))
    claimed = Attendance.objects.filter(pk=attendance.pk, signed_out_at__isnull=True).update(
        signed_out_at=at, out_method=method
    )
    if claimed != 1:
        raise AlreadySignedOut(_("You have already signed out of this class."))
    attendance.signed_out_at, attendance.out_method = at, method
    _credit(attendance, training_class, now)
    return attendance


def sign_by_code(
    *,
    training_class: TrainingClass,
    user: Any,
    code: str,
    frame: bytes | None = None,
    now: dt.datetime | None = None,
) -> Attendance:
    """Sign the user in or out by a scanned code (its kind decides). Refusals change nothing:
    ``CodeInvalid`` / ``CodeExpired``, ``NotInvited``, ``ClassNotOpen`` / ``ClassClosed``,
    ``AlreadySignedIn`` / ``AlreadySignedOut`` / ``NotSignedIn``, ``FaceRequired`` / ``FaceCheckFailed``."""
    now = now or timezone.now()
    kind = code_read(training_class, code, now=now)
    person = _invited_person(training_class, org.person_of(user))
    _require_open(training_class)
    if kind == "out":
        with transaction.atomic():
            locked = _lock(training_class)
            _require_open(locked)
            return _sign_out(locked, person, at=now, method=Attendance.Method.QR, now=now)
    _require_sign_in_window(training_class, now)
    if Attendance.objects.filter(training_class=training_class, person=person).exists():
        raise AlreadySignedIn(_("You are already signed in to this class."))
    photo = ""
    method = Attendance.Method.QR
    if training_class.requires_face:
        data = _face_check(person, frame, now)
        photo, method = _face_photo_save(training_class, person, data), Attendance.Method.QR_FACE
    try:
        with transaction.atomic():
            locked = _lock(training_class)
            _require_open(locked)
            return _sign_in(locked, person, at=now, method=method, face_photo=photo)
    except Exception:
        if photo:
            _face_photo_delete(photo)
        raise


def sign_manual(
    *,
    training_class: TrainingClass,
    person: Person,
    kind: Kind,
    reason: str,
    by: Any,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Attendance:
    """The trainer signs an invitee in or out by hand (no phone, no usable face), at ``at`` (default now,
    never in the future), with a reason; recorded in the audit log. The same rules as by code apply."""
    now = now or timezone.now()
    at = at or now
    reason = (reason or "").strip()
    if kind not in ("in", "out"):
        raise ValueError(f"unknown kind {kind!r}")
    if not reason:
        raise ReasonRequired(
            _("Say why you sign this person by hand."), errors={"reason": [_("Say why you sign this person by hand.")]}
        )
    if not selectors.classes_run_by(by).filter(pk=training_class.pk).exists():
        raise NotAllowed(_("You do not run this class."))
    if at > now:
        raise ClassNotOpen(
            _("A sign-in or sign-out cannot be in the future."),
            errors={"at": [_("A sign-in or sign-out cannot be in the future.")]},
        )
    if not Invitation.objects.filter(training_class=training_class, person=person).exists():
        raise NotInvited(_("%(name)s is not invited to this class.") % {"name": person.name})
    with transaction.atomic():
        locked = _lock(training_class)
        _require_open(locked)
        if kind == "in":
            _require_sign_in_window(locked, at)
            attendance = _sign_in(locked, person, at=at, method=Attendance.Method.MANUAL)
        else:
            attendance = _sign_out(locked, person, at=at, method=Attendance.Method.MANUAL, now=now)
        audit_record(
            actor=by,
            action=f"classroom.sign_{kind}_manual",
            obj=attendance,
            reason=reason,
            detail={"class": locked.pk, "person": person.pk, "at": at.isoformat()},
            at=now,
        )
    return attendance


@transaction.atomic
def class_close(*, training_class: TrainingClass, by: Any, now: dt.datetime | None = None) -> TrainingClass:
    """Close a class after it started. Nobody is signed out silently: attendees without a sign-out get
    no credit and their line says so (the trainer signs them out by hand first, with a reason, if they stayed)."""
    now = now or timezone.now()
    if not selectors.classes_run_by(by).filter(pk=training_class.pk).exists():
        raise NotAllowed(_("You do not run this class."))
    locked = _lock(training_class)
    _require_open(locked)
    if now < locked.starts_at:
        raise ClassNotOpen(_("The class has not started yet: cancel it instead of closing it."))
    with translation.override(settings.LANGUAGE_CODE):
        _seconds, no_out = _class_credit(locked, locked.starts_at, None)
    missing = Attendance.objects.filter(training_class=locked, signed_out_at__isnull=True)
    unsigned = missing.count()
    missing.update(credited_seconds=0, credit_detail=no_out)
    locked.status = TrainingClass.Status.CLOSED
    locked.closed_at = now
    locked.save(update_fields=["status", "closed_at"])
    audit_record(actor=by, action="classroom.class_close", obj=locked, detail={"without_sign_out": unsigned}, at=now)
    return locked
