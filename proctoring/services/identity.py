"""Face enrolment and the identity check before an exam (face match or a proctor's manual decision), with the per-person photo budget."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.ratelimit import counter_hit
from exams.models import ExamSession
from organizations.models import Person
from proctoring import broadcast, storage, vision
from proctoring.models import FaceEnrolment, IdentityCheck, LivenessCheck, ProctoringPolicy
from proctoring.selectors import (
    IdentityStatus,
    consent_state,
    enrolment_of,
    identity_state_message,
    identity_status,
    policy_for,
    recent_identity_liveness,
)
from proctoring.services.consent import consent_outdated_text, consent_require
from proctoring.services.errors import (
    AlreadyDecided,
    AlreadyPassed,
    BadEvent,
    BadImage,
    ConsentOutdated,
    IdentityLocked,
    LivenessRequired,
    NotEnrolled,
    SessionNotOpen,
    TooManyPhotos,
    check_image_size,
    image_reason_text,
)


def _duration_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def photo_upload_allow(*, person: Person, now: dt.datetime | None = None) -> int:
    """Count one enrolment or identity-check photo of ``person``; returns how many more the window allows.

    Call before the photo is decoded (``enrol`` and ``identity_check_face``
    do), so that every door is held to it and an unreadable photo counts too.
    At most ``PROCTORING_PHOTO_RATE`` = (count, seconds) photos per person in
    a window that opens with the first photo and closes ``seconds`` later;
    beyond that ``TooManyPhotos`` (429) says when to try again. The counter
    lives in the Django cache (locmem per process, Redis shared), so with
    locmem and several processes each process counts on its own.
    """
    limit, period = settings.PROCTORING_PHOTO_RATE
    now = now or timezone.now()
    base = f"proctoring:photo-rate:{person.pk}"
    opened = cache.get_or_set(f"{base}:opened", now.timestamp(), timeout=period)
    counter = f"{base}:{opened}"
    # The counter outlives its window a little; a new window gets a new counter.
    count = counter_hit(counter, timeout=period + 60)
    if count <= limit:
        return limit - count
    wait = max(1, math.ceil(opened + period - now.timestamp()))
    at = timezone.localtime(now + dt.timedelta(seconds=wait))
    raise TooManyPhotos(
        _("Too many photos sent: at most %(limit)d in %(period)s. Try again in %(wait)s (after %(time)s).")
        % {
            "limit": limit,
            "period": _duration_text(period),
            "wait": _duration_text(wait),
            "time": at.strftime("%H:%M"),
        },
        retry_after=wait,
    )


def enrol(*, person: Person, photo: bytes, source: str, by: Any, now: dt.datetime | None = None) -> FaceEnrolment:
    """Compute and store the person's reference encoding; the photo goes to private storage.

    Needs a consent to the current text (``ConsentRequired`` / ``ConsentOutdated``)
    and counts towards ``photo_upload_allow`` (``TooManyPhotos``). Refused photos
    (not an image, no face, several faces, a bomb) raise ``BadImage`` and change nothing.
    """
    now = now or timezone.now()
    consent = consent_require(person)
    if source not in FaceEnrolment.Source.values:
        raise BadEvent(_("Unknown enrolment source."))
    photo_upload_allow(person=person, now=now)
    data = check_image_size(photo, settings.PROCTORING_PHOTO_MAX_BYTES)
    try:
        encoding = vision.encode_reference(data, max_bytes=settings.PROCTORING_PHOTO_MAX_BYTES)
    except vision.VisionError as exc:
        raise BadImage(image_reason_text(exc.reason), reason=exc.reason) from None
    path = storage.save("enrolment", person.pk, data, storage.sniff_suffix(data))
    try:
        with transaction.atomic():
            current = FaceEnrolment.objects.select_for_update().filter(person=person).first()
            if current is None:
                enrolment = FaceEnrolment.objects.create(
                    person=person,
                    consent=consent,
                    source=source,
                    encoding=vision.encoding_to_bytes(encoding),
                    photo_path=path,
                    created_by=by if getattr(by, "pk", None) else None,
                    created_at=now,
                )
            else:
                old = current.photo_path
                current.consent = consent
                current.source = source
                current.encoding = vision.encoding_to_bytes(encoding)
                current.version = current.version + 1
                current.photo_path = path
                current.photo_purged_at = None
                current.created_by = by if getattr(by, "pk", None) else None
                current.created_at = now
                current.save()
                enrolment = current
                transaction.on_commit(lambda: storage.delete(old))
    except Exception:
        storage.delete(path)
        raise
    vision.reference_cache.discard(person.pk)
    return enrolment


def face_reference(enrolment: FaceEnrolment) -> Any:
    return vision.reference_cache.get(enrolment.person_id, enrolment.version, lambda: bytes(enrolment.encoding))


def enrolled_face_check(
    data: bytes,
    enrolment: FaceEnrolment,
    *,
    match_threshold: float = vision.DEFAULT_MATCH_THRESHOLD,
    mismatch_threshold: float = vision.DEFAULT_MISMATCH_THRESHOLD,
) -> vision.FrameCheck:
    """A photo taken to show who one is (one face, close to the camera) against the enrolled face."""
    return vision.check_frame(
        data,
        face_reference(enrolment),
        match_threshold=match_threshold,
        mismatch_threshold=mismatch_threshold,
        max_bytes=settings.PROCTORING_PHOTO_MAX_BYTES,
        detection=vision.IDENTITY_DETECTION,
    )


# The identity check may be done this long before the session opens (the notice is
# readable before; checking early spares the queue at the start), and not after it closes.
IDENTITY_CHECK_LEAD = dt.timedelta(hours=1)


def _require_open(session: ExamSession, now: dt.datetime) -> None:
    """Refuse (``SessionNotOpen``, 409 ``not_open``) an identity check outside the session's window and lead."""
    if now >= session.closes_at:
        raise SessionNotOpen(
            _("This exam closed at %(closes)s: there is nothing to check identity for.")
            % {"closes": timezone.localtime(session.closes_at).strftime("%Y-%m-%d %H:%M")}
        )
    if now < session.opens_at - IDENTITY_CHECK_LEAD:
        raise SessionNotOpen(
            _("The identity check opens %(minutes)d minutes before the exam (from %(from)s).")
            % {
                "minutes": int(IDENTITY_CHECK_LEAD.total_seconds() // 60),
                "from": timezone.localtime(session.opens_at - IDENTITY_CHECK_LEAD).strftime("%Y-%m-%d %H:%M"),
            }
        )


def identity_check_state(
    session: ExamSession, person: Person, now: dt.datetime
) -> tuple[ProctoringPolicy, IdentityStatus]:
    """The session's policy and the person's identity status; refused when the session has no check or is not open."""
    policy = policy_for(session)
    if policy is None or not policy.require_identity_check:
        raise IdentityLocked(_("This exam has no identity check."))
    _require_open(session, now)
    return policy, identity_status(session, person, policy)


def identity_check_face(
    *, session: ExamSession, person: Person, frame: bytes, now: dt.datetime | None = None
) -> IdentityCheck:
    """One try at the pre-exam face check. After ``identity_max_tries`` failures a proctor decides.

    Needs an enrolment usable under a consent to the current text; the photo
    counts towards ``photo_upload_allow`` before it is decoded. Refused with
    ``SessionNotOpen`` (nothing counted or stored) after the session closed or
    more than ``IDENTITY_CHECK_LEAD`` before it opens, and with ``AlreadyPassed``
    once passed (a photo then is not a new check; nothing counted or stored).
    When the policy has ``require_liveness``, refused with ``LivenessRequired``
    (nothing counted or stored) unless a liveness check of purpose ``identity``
    passed within ``LIVENESS_VALID_FOR``; the photo must then also match the face
    seen in that check (else the try fails, ``failure_reason`` ``liveness_face_differs``).
    """
    now = now or timezone.now()
    policy, status = identity_check_state(session, person, now)
    if status.state == "passed":
        # Not a new check: the photo is neither counted nor stored.
        raise AlreadyPassed(_("The identity check for this exam is already passed."))
    if status.state == "pending_manual":
        raise IdentityLocked(_("A proctor is checking your identity. Please wait."))
    if status.state == "rejected" or status.tries_left <= 0:
        raise IdentityLocked(_("The identity check was not passed. Contact the proctor."))
    enrolment = usable_enrolment(person)
    liveness = _liveness_passed(session, person, policy, now)
    photo_upload_allow(person=person, now=now)
    data = check_image_size(frame, settings.PROCTORING_PHOTO_MAX_BYTES)
    try:
        result = enrolled_face_check(
            data, enrolment, match_threshold=policy.match_threshold, mismatch_threshold=policy.mismatch_threshold
        )
    except vision.VisionError as exc:
        raise BadImage(image_reason_text(exc.reason), reason=exc.reason) from None
    passed = result.outcome == vision.Outcome.MATCH
    # Uncertain (between the thresholds) is a failed try that asks for another photo.
    outcome = str(result.outcome)
    failure_reason = "uncertain" if result.outcome == vision.Outcome.UNCERTAIN else ""
    if passed and liveness is not None and not _same_face_as_liveness(data, liveness, policy.match_threshold):
        # The photo matches the enrolled face, but not the face that performed the liveness actions.
        passed, outcome, failure_reason = False, vision.Outcome.MISMATCH, "liveness_face_differs"
    path = storage.save("identity", person.pk, data, storage.sniff_suffix(data))
    with transaction.atomic():
        check = _face_try_record(
            session,
            person,
            status,
            policy,
            now,
            result=IdentityCheck.Result.PASSED if passed else IdentityCheck.Result.FAILED,
            outcome=str(outcome),
            failure_reason=failure_reason,
            photo_path=path,
            **result.scores(),
        )
        if passed and liveness is not None:
            # Used: the face seen in the liveness check is not kept any longer; the check stays linked.
            LivenessCheck.objects.filter(pk=liveness.pk).update(encoding=b"", identity_check=check)
    return check


def _face_try_record(
    session: ExamSession,
    person: Person,
    status: IdentityStatus,
    policy: ProctoringPolicy,
    now: dt.datetime,
    **fields: Any,
) -> IdentityCheck:
    """One try of the face check (call inside a transaction): a failed try that was the person's last
    (``status`` as it stood before it) hands the person to a proctor."""
    check = IdentityCheck.objects.create(
        session=session, person=person, kind=IdentityCheck.Kind.FACE, created_at=now, **fields
    )
    if check.result == IdentityCheck.Result.FAILED and status.tries_left - 1 <= 0:
        _manual_pending(
            session, person, now, note=_("Face check failed %(n)d times.") % {"n": policy.identity_max_tries}
        )
    return check


def identity_result(check: IdentityCheck, status: IdentityStatus) -> dict[str, Any]:
    """What the web page and the API answer to one face try (``identity_check_face``)."""
    payload: dict[str, Any] = {
        "ok": check.result == IdentityCheck.Result.PASSED,
        "outcome": check.outcome,
        "state": status.state,
        "tries_left": status.tries_left,
    }
    details = {
        "uncertain": _(
            "We could not be sure this is you. Please try again: face the camera, in good light, uncovered."
        ),
        "liveness_face_differs": _(
            "The photo does not show the face that did the liveness actions. Do the liveness check again."
        ),
    }
    if check.failure_reason in details:
        payload["reason"] = check.failure_reason
        payload["detail"] = str(details[check.failure_reason])
    return payload


def usable_enrolment(person: Person) -> FaceEnrolment:
    """The person's enrolment usable for face checks, or the refusal that says what to do first."""
    enrolment = enrolment_of(person)
    if enrolment is None:
        if consent_state(person).outdated:
            # The reference photo is kept, but not used until the person agrees to the current text.
            raise ConsentOutdated(consent_outdated_text())
        raise NotEnrolled(_("Enrol your face first, or ask for a manual ID check."))
    return enrolment


def _liveness_passed(
    session: ExamSession, person: Person, policy: ProctoringPolicy, now: dt.datetime
) -> LivenessCheck | None:
    """The recent passed liveness check the face check rests on; None when the policy asks for none."""
    if not policy.require_liveness:
        return None
    check = recent_identity_liveness(session, person, now)
    if check is None:
        raise LivenessRequired(
            _("First complete the liveness check (a few short actions in front of the camera), then take the photo.")
        )
    return check


def _same_face_as_liveness(data: bytes, liveness: LivenessCheck, tolerance: float) -> bool:
    if not liveness.encoding:
        return False
    try:
        result = vision.check_frame(
            data,
            vision.encoding_from_bytes(bytes(liveness.encoding)),
            tolerance=tolerance,
            max_bytes=settings.PROCTORING_PHOTO_MAX_BYTES,
        )
    except vision.VisionError:
        return False
    return result.outcome == vision.Outcome.MATCH


def identity_try_failed(
    *, session: ExamSession, person: Person, reason: str, note: str, now: dt.datetime
) -> IdentityCheck | None:
    """A failed try at the door that was not a face photo (a failed liveness check): it uses one of the
    policy's ``identity_max_tries`` as a face mismatch does, and the last one hands the person to a
    proctor. None when the session has no identity check or the person is past it."""
    policy = policy_for(session)
    if policy is None or not policy.require_identity_check:
        return None
    status = identity_status(session, person, policy)
    if status.state != "needs_check" or status.tries_left <= 0:
        return None
    with transaction.atomic():
        return _face_try_record(
            session,
            person,
            status,
            policy,
            now,
            result=IdentityCheck.Result.FAILED,
            failure_reason=reason[:64],
            note=note[:255],
        )


def _manual_pending(session: ExamSession, person: Person, now: dt.datetime, note: str) -> IdentityCheck:
    try:
        with transaction.atomic():
            check = IdentityCheck.objects.create(
                session=session,
                person=person,
                kind=IdentityCheck.Kind.MANUAL,
                result=IdentityCheck.Result.PENDING,
                note=note[:255],
                created_at=now,
            )
    except IntegrityError:
        return IdentityCheck.objects.get(
            session=session, person=person, kind=IdentityCheck.Kind.MANUAL, result=IdentityCheck.Result.PENDING
        )
    broadcast.to_proctors(session.pk, {"type": "identity_pending", "check": check.pk, "name": person.name})
    return check


def identity_request_manual(*, session: ExamSession, person: Person, now: dt.datetime | None = None) -> IdentityCheck:
    """The non-biometric path: a proctor checks the person's ID instead of a face match.

    Refused with ``SessionNotOpen`` (nothing queued) outside the session's window and lead.
    """
    now = now or timezone.now()
    policy, status = identity_check_state(session, person, now)
    if status.state in ("passed", "pending_manual"):
        return next(c for c in reversed(status.checks) if c.result != IdentityCheck.Result.FAILED)
    if status.state == "rejected":
        raise IdentityLocked(_("The identity check was not passed. Contact the proctor."))
    if not policy.allow_non_biometric and status.tries_left > 0:
        raise IdentityLocked(_("This exam needs the face check."))
    return _manual_pending(session, person, now, note=_("Asked for a manual ID check."))


def identity_decide(
    *, check: IdentityCheck, by: Any, passed: bool, note: str = "", now: dt.datetime | None = None
) -> IdentityCheck:
    """A proctor's decision on a manual ID check. A refusal needs its reason (``BadEvent``): the examinee reads it.

    After commit the examinee's identity-check page hears the new state on its socket
    (``broadcast.to_identity_waiter``) and the session's other proctors drop the check from their list.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    if not passed and not note:
        raise BadEvent(_("Give the reason for refusing: the examinee sees it."))
    changed = IdentityCheck.objects.filter(pk=check.pk, result=IdentityCheck.Result.PENDING).update(
        result=IdentityCheck.Result.PASSED if passed else IdentityCheck.Result.FAILED,
        decided_by=by,
        decided_at=now,
        note=(note or check.note)[:255],
    )
    if changed != 1:
        raise AlreadyDecided(_("This identity check has already been decided."))
    check.refresh_from_db()
    status = identity_status(check.session, check.person)
    broadcast.to_identity_waiter(check.session_id, check.person_id, identity_state_message(check.session, status))
    broadcast.to_proctors(check.session_id, {"type": "identity_decided", "check": check.pk, "result": check.result})
    return check
