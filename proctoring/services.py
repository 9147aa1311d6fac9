"""Writes for proctoring: consent, enrolment, identity checks, events, snapshots, policy, review, retention.

Services know nothing of HTTP or websockets. Refusals raise ``ProctoringError``
subclasses whose message is shown to the user and whose ``code`` the sockets
send. Face images go to private storage (proctoring.storage); face data and
ID numbers are never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DateTimeField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import background
from core.db import update_rows
from exams import services as exam_services
from exams.models import Attempt, ExamSession
from organizations.models import Person
from proctoring import broadcast, storage, vision
from proctoring.models import (
    AttemptMonitor,
    BrowserEvent,
    FaceConsent,
    FaceEnrolment,
    FaceOutcome,
    Flag,
    IdentityCheck,
    ProctoringPolicy,
    ProctorMessage,
    ReviewDecision,
    Snapshot,
)
from proctoring.selectors import (
    active_consent,
    consent_state,
    enrolment_of,
    identity_status,
    policy_for,
    snapshot_url,
    snapshots_required_q,
)

logger = logging.getLogger(__name__)


class ProctoringError(Exception):
    code = "refused"
    status = 409

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConsentRequired(ProctoringError):
    code = "consent_required"
    status = 403


class ConsentOutdated(ConsentRequired):
    """The standing consent was for an older consent text: the person must read and agree again."""

    code = "consent_outdated"


class NotEnrolled(ProctoringError):
    code = "not_enrolled"


class TooManyPhotos(ProctoringError):
    """More enrolment / identity-check photos than ``PROCTORING_PHOTO_RATE`` allows; ``retry_after`` in seconds."""

    code = "too_many_photos"
    status = 429


class BadImage(ProctoringError):
    code = "bad_image"
    status = 400


class AttemptFinished(ProctoringError):
    code = "attempt_finished"


class BadEvent(ProctoringError):
    code = "bad_event"
    status = 400


class OutOfSequence(ProctoringError):
    code = "out_of_sequence"
    status = 400


class IdentityLocked(ProctoringError):
    code = "identity_locked"


class AlreadyDecided(ProctoringError):
    code = "already_decided"


class SnapshotTooSoon(ProctoringError):
    """A frame ahead of the policy's rate (details: ``retry_after`` in seconds)."""

    code = "snapshot_too_soon"
    status = 429


class SnapshotStorageFull(ProctoringError):
    code = "snapshot_storage_full"
    status = 413


class AlreadyPassed(ProctoringError):
    """The identity check is passed already: a new photo is not a new check (the API says so, 409)."""

    code = "already_passed"


class SessionNotOpen(ProctoringError):
    """The identity check is asked for a session that has closed, or that opens more than IDENTITY_CHECK_LEAD ahead."""

    code = "not_open"


# Vision's stable reasons, as the user reads them.
IMAGE_REASONS = {
    "not_an_image": gettext_lazy("This is not a JPEG or PNG image."),
    "truncated_image": gettext_lazy("The image is incomplete (the file was cut off)."),
    "corrupt_image": gettext_lazy("The image is damaged and cannot be read."),
    "too_many_pixels": gettext_lazy("The image has too many pixels."),
    "frame_too_large": gettext_lazy("The image file is too large."),
    "bad_encoding": gettext_lazy("The stored face reference is damaged; enrol again."),
    "reference_no_face": gettext_lazy("No face was found in the photo. Face the camera in good light."),
    "reference_multiple_faces": gettext_lazy("More than one face is in the photo: use a photo of yourself alone."),
    "no_reference": gettext_lazy("No face is enrolled for this person."),
    "file_missing": gettext_lazy("The image file is missing."),
    "internal_error": gettext_lazy("The image could not be processed."),
    "empty": gettext_lazy("The image is empty."),
}


def image_reason_text(reason: str) -> str:
    return str(IMAGE_REASONS.get(reason, IMAGE_REASONS["internal_error"]))


def _check_size(data: bytes, cap: int) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BadImage(image_reason_text("not_an_image"), reason="not_an_image")
    data = bytes(data)
    if not data:
        raise BadImage(image_reason_text("empty"), reason="empty")
    if len(data) > cap:
        raise BadImage(
            _("The image is %(size)d KB; at most %(cap)d KB is accepted.")
            % {"size": len(data) // 1024, "cap": cap // 1024},
            reason="frame_too_large",
        )
    return data


# --- consent and enrolment ------------------------------------------------------------


def consent_outdated_text() -> str:
    return _("The consent text has changed since you agreed. Please read it and agree again.")


def consent_give(
    *, person: Person, by: Any, text_version: str | None = None, now: dt.datetime | None = None
) -> FaceConsent:
    """Record consent to face processing for the current text (``PROCTORING_CONSENT_VERSION``).

    Idempotent while a consent to the current text stands. A consent standing
    for an older text is superseded: it is closed (``withdrawn_at`` = the new
    row's ``given_at``, nothing purged, since the person did not withdraw) and
    a new row records consent to the current text; the old row stays as the
    record of what was agreed to before. An enrolment made under the old
    consent keeps its photo and is used again from now on (``enrolment_of``).
    ``text_version``, when given, is the version the person read; another
    than the current one raises ``ConsentOutdated`` and records nothing.
    """
    current = settings.PROCTORING_CONSENT_VERSION
    if text_version is not None and text_version != current:
        raise ConsentOutdated(consent_outdated_text())
    now = now or timezone.now()
    with transaction.atomic():
        standing = FaceConsent.objects.select_for_update().filter(person=person, withdrawn_at__isnull=True).first()
        if standing is not None and standing.text_version == current:
            return standing
        if standing is not None:
            standing.withdrawn_at = now
            standing.save(update_fields=["withdrawn_at"])
        try:
            with transaction.atomic():
                return FaceConsent.objects.create(
                    person=person, text_version=current, given_at=now, given_by=by if getattr(by, "pk", None) else None
                )
        except IntegrityError:
            # Given at the same moment by another request: theirs stands.
            return FaceConsent.objects.get(person=person, withdrawn_at__isnull=True)


def _require_consent(person: Person) -> FaceConsent:
    consent = active_consent(person)
    if consent is not None:
        return consent
    if consent_state(person).outdated:
        raise ConsentOutdated(consent_outdated_text())
    raise ConsentRequired(_("Face processing needs the person's consent first."))


# --- photo uploads: a per-person budget -------------------------------------------------


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
    if cache.add(counter, 1, timeout=period + 60):
        count = 1
    else:
        try:
            count = cache.incr(counter)
        except ValueError:  # evicted between add and incr
            cache.set(counter, 1, timeout=period + 60)
            count = 1
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


def purge_person_biometrics(*, person: Person, now: dt.datetime | None = None) -> int:
    """Delete the person's encoding and every face image of theirs; keep outcomes and distances.

    Returns how many files were deleted. Files go after the commit, so a
    rollback never leaves rows pointing at deleted files.
    """
    now = now or timezone.now()
    paths: list[str] = []
    with transaction.atomic():
        enrolment = FaceEnrolment.objects.filter(person=person).first()
        if enrolment is not None:
            paths.append(enrolment.photo_path)
            enrolment.delete()
        snaps = Snapshot.objects.filter(attempt__person=person).exclude(photo_path="")
        paths += list(snaps.values_list("photo_path", flat=True))
        snaps.update(photo_path="", photo_purged_at=now)
        checks = IdentityCheck.objects.filter(person=person).exclude(photo_path="")
        paths += list(checks.values_list("photo_path", flat=True))
        checks.update(photo_path="", photo_purged_at=now)
        transaction.on_commit(lambda: [storage.delete(p) for p in paths])
    vision.reference_cache.discard(person.pk)
    return len([p for p in paths if p])


def consent_withdraw(*, person: Person, by: Any, now: dt.datetime | None = None) -> int:
    """Withdraw consent: the person's biometrics are purged at once. Returns the files deleted.

    Withdrawing does not switch the camera off unnoticed: every running
    proctored attempt of the person that must send snapshots (``snapshots_required_q``,
    decided when the paper was delivered) is flagged for review at once
    (``Flag.Kind.CONSENT_WITHDRAWN``, shown on the live grid and in the review
    queue). The attempt still owes its snapshots, but no frame of the person is
    accepted any more (``snapshot_receive`` refuses it with ``consent_required``,
    nothing stored or face-matched), so the missing-snapshot rule
    (``snapshot_gaps_check``) then applies as usual.
    """
    now = now or timezone.now()
    with transaction.atomic():
        withdrawn = FaceConsent.objects.filter(person=person, withdrawn_at__isnull=True).update(withdrawn_at=now)
        running = (
            list(
                Attempt.objects.filter(person=person, status=Attempt.Status.IN_PROGRESS, started_at__isnull=False)
                .filter(session__proctoring_policy__isnull=False)
                .filter(snapshots_required_q())
                .values_list("pk", "session_id")
            )
            if withdrawn
            else []
        )
        # Before the purge: the enrolment the exists-check reads is deleted by it.
        deleted = purge_person_biometrics(person=person, now=now)
        for attempt_id, session_id in running:
            _consent_withdrawn_flag(attempt_id, session_id, now)
    logger.info("Face consent withdrawn for person %s; %d image(s) purged", person.pk, deleted)
    return deleted


def _consent_withdrawn_flag(attempt_id: int, session_id: int, now: dt.datetime) -> None:
    """Flag a running attempt whose examinee withdrew consent; tell its proctors and the examinee."""
    with translation.override(settings.LANGUAGE_CODE):  # stored for proctors, like the policy's texts
        detail = _("Face-processing consent was withdrawn during the exam")
        text = _(
            "You withdrew consent to face processing. Snapshots are no longer accepted; this is recorded for "
            "the proctor, and the exam's rules on missing snapshots apply."
        )
    monitor_for(attempt_id)
    Flag.objects.create(attempt_id=attempt_id, kind=Flag.Kind.CONSENT_WITHDRAWN, detail=detail, created_at=now)
    AttemptMonitor.objects.filter(attempt_id=attempt_id).update(flag_count=F("flag_count") + 1)
    ProctorMessage.objects.create(attempt_id=attempt_id, kind=ProctorMessage.Kind.POLICY, text=text, sent_at=now)
    flags = AttemptMonitor.objects.filter(attempt_id=attempt_id).values_list("flag_count", flat=True).first()
    broadcast.to_examinee(attempt_id, {"type": "warning", "text": text, "consent_withdrawn": True})
    broadcast.to_proctors(
        session_id, {"type": "snapshots", "attempt": attempt_id, "consent_withdrawn": True, "flags": flags}
    )


def enrol(*, person: Person, photo: bytes, source: str, by: Any, now: dt.datetime | None = None) -> FaceEnrolment:
    """Compute and store the person's reference encoding; the photo goes to private storage.

    Needs a consent to the current text (``ConsentRequired`` / ``ConsentOutdated``)
    and counts towards ``photo_upload_allow`` (``TooManyPhotos``). Refused photos
    (not an image, no face, several faces, a bomb) raise ``BadImage`` and change nothing.
    """
    now = now or timezone.now()
    consent = _require_consent(person)
    if source not in FaceEnrolment.Source.values:
        raise BadEvent(_("Unknown enrolment source."))
    photo_upload_allow(person=person, now=now)
    data = _check_size(photo, settings.PROCTORING_PHOTO_MAX_BYTES)
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


def _reference(enrolment: FaceEnrolment) -> Any:
    return vision.reference_cache.get(enrolment.person_id, enrolment.version, lambda: bytes(enrolment.encoding))


# --- policy ---------------------------------------------------------------------------


def policy_set(*, session: ExamSession, **fields: Any) -> ProctoringPolicy:
    """Create or update the session's policy (validated) and name it on the session for exams."""
    with transaction.atomic():
        policy = ProctoringPolicy.objects.filter(session=session).first() or ProctoringPolicy(session=session)
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.full_clean()
        policy.save()
        ExamSession.objects.filter(pk=session.pk).update(proctoring_policy_id=policy.pk)
    return policy


# --- identity check before the exam ------------------------------------------------------

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


def identity_check_face(
    *, session: ExamSession, person: Person, frame: bytes, now: dt.datetime | None = None
) -> IdentityCheck:
    """One try at the pre-exam face check. After ``identity_max_tries`` failures a proctor decides.

    Needs an enrolment usable under a consent to the current text; the photo
    counts towards ``photo_upload_allow`` before it is decoded. Refused with
    ``SessionNotOpen`` (nothing counted or stored) after the session closed or
    more than ``IDENTITY_CHECK_LEAD`` before it opens, and with ``AlreadyPassed``
    once passed (a photo then is not a new check; nothing counted or stored).
    """
    now = now or timezone.now()
    policy = policy_for(session)
    if policy is None or not policy.require_identity_check:
        raise IdentityLocked(_("This exam has no identity check."))
    _require_open(session, now)
    status = identity_status(session, person, policy)
    if status.state == "passed":
        # Not a new check: the photo is neither counted nor stored.
        raise AlreadyPassed(_("The identity check for this exam is already passed."))
    if status.state == "pending_manual":
        raise IdentityLocked(_("A proctor is checking your identity. Please wait."))
    if status.state == "rejected" or status.tries_left <= 0:
        raise IdentityLocked(_("The identity check was not passed. Contact the proctor."))
    enrolment = enrolment_of(person)
    if enrolment is None:
        if consent_state(person).outdated:
            # The reference photo is kept, but not used until the person agrees to the current text.
            raise ConsentOutdated(consent_outdated_text())
        raise NotEnrolled(_("Enrol your face first, or ask for a manual ID check."))
    photo_upload_allow(person=person, now=now)
    data = _check_size(frame, settings.PROCTORING_PHOTO_MAX_BYTES)
    try:
        result = vision.check_frame(
            data, _reference(enrolment), tolerance=policy.tolerance, max_bytes=settings.PROCTORING_PHOTO_MAX_BYTES
        )
    except vision.VisionError as exc:
        raise BadImage(image_reason_text(exc.reason), reason=exc.reason) from None
    passed = result.outcome == vision.Outcome.MATCH
    path = storage.save("identity", person.pk, data, storage.sniff_suffix(data))
    with transaction.atomic():
        check = IdentityCheck.objects.create(
            session=session,
            person=person,
            kind=IdentityCheck.Kind.FACE,
            result=IdentityCheck.Result.PASSED if passed else IdentityCheck.Result.FAILED,
            outcome=str(result.outcome),
            distance=result.distance,
            threshold=result.threshold,
            photo_path=path,
            created_at=now,
        )
        if not passed and status.tries_left - 1 <= 0:
            _manual_pending(
                session, person, now, note=_("Face check failed %(n)d times.") % {"n": policy.identity_max_tries}
            )
    return check


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
    policy = policy_for(session)
    if policy is None or not policy.require_identity_check:
        raise IdentityLocked(_("This exam has no identity check."))
    _require_open(session, now)
    status = identity_status(session, person, policy)
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
    now = now or timezone.now()
    changed = IdentityCheck.objects.filter(pk=check.pk, result=IdentityCheck.Result.PENDING).update(
        result=IdentityCheck.Result.PASSED if passed else IdentityCheck.Result.FAILED,
        decided_by=by,
        decided_at=now,
        note=(note or check.note)[:255],
    )
    if changed != 1:
        raise AlreadyDecided(_("This identity check has already been decided."))
    check.refresh_from_db()
    return check


# --- in-exam: browser events ----------------------------------------------------------


@dataclass
class EventResult:
    client_seq: int
    duplicate: bool = False
    counted: bool = False
    tab_switches: int = 0
    warnings: int = 0
    submitted: bool = False
    notices: list[dict[str, Any]] = field(default_factory=list)
    live: dict[str, Any] = field(default_factory=dict)


def monitor_for(attempt_id: int) -> AttemptMonitor:
    monitor, _created = AttemptMonitor.objects.get_or_create(attempt_id=attempt_id)
    return monitor


def monitor_open(*, attempt_id: int, online: bool, now: dt.datetime | None = None) -> tuple[int, int]:
    """A socket (re)connects: mark the examinee online (if ``online``) and return ``(last_seq, tab_switches)``.

    One statement, first connect or not (an upsert with RETURNING, on PostgreSQL
    and SQLite alike): a class connects its sockets at once. The attempt must exist.
    """
    now = now or timezone.now()
    table = AttemptMonitor._meta.db_table
    on_conflict = (
        "online = excluded.online, last_seen_at = excluded.last_seen_at" if online else f"online = {table}.online"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (attempt_id, last_seq, event_count, tab_switches, warnings, "  # noqa: S608
            "face_failures_in_row, snapshot_count, snapshot_bytes, flag_count, online, last_seen_at) "
            "VALUES (%s, 0, 0, 0, 0, 0, 0, 0, 0, %s, %s) "
            f"ON CONFLICT (attempt_id) DO UPDATE SET {on_conflict} RETURNING last_seq, tab_switches",
            [attempt_id, online, now if online else None],
        )
        last_seq, tab_switches = cursor.fetchone()
    return last_seq, tab_switches


def mark_online(*, attempt_id: int, online: bool, now: dt.datetime | None = None) -> None:
    """Record whether the examinee's socket is connected (the caller tells the live grid)."""
    AttemptMonitor.objects.filter(attempt_id=attempt_id).update(online=online, last_seen_at=now or timezone.now())


def _counts_as_switch(
    policy: ProctoringPolicy | None, event_type: str, duration_ms: int | None, hidden_during: bool
) -> bool:
    if policy is None:
        return False
    ignore_ms = policy.tab_ignore_seconds * 1000
    if policy.phone_aware:
        ignore_ms = max(ignore_ms, settings.PROCTORING_PHONE_GRACE_SECONDS * 1000)
    if event_type == BrowserEvent.Type.VISIBLE:
        return (duration_ms or 0) >= ignore_ms
    # Losing focus without the page being hidden: another window on a desktop.
    # A phone's system pop-ups do exactly that, so phone-aware mode ignores it;
    # a real switch also hides the page and is counted once, on its return.
    if event_type == BrowserEvent.Type.FOCUS and not policy.phone_aware and not hidden_during:
        return (duration_ms or 0) >= ignore_ms
    return False


def _parse_client_at(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@dataclass(frozen=True)
class EventIn:
    """One browser event as a socket received it (validated by ``events_record``)."""

    attempt_id: int
    session_id: int
    client_seq: Any
    event_type: Any
    duration_ms: Any = None
    hidden_during: bool = False
    client_at: Any = None
    # False: look it up; None: the session has no policy. A socket passes the one it loaded.
    policy: ProctoringPolicy | None | bool = False


def event_record(
    *,
    attempt_id: int,
    session_id: int,
    client_seq: Any,
    event_type: Any,
    duration_ms: Any = None,
    hidden_during: bool = False,
    client_at: Any = None,
    policy: ProctoringPolicy | None | bool = False,
    now: dt.datetime | None = None,
) -> EventResult:
    """Store one browser event (a batch of one: see ``events_record``); raises the event's ProctoringError."""
    item = EventIn(attempt_id, session_id, client_seq, event_type, duration_ms, hidden_during, client_at, policy)
    (outcome,) = events_record(items=[item], now=now)
    if isinstance(outcome, ProctoringError):
        raise outcome
    return outcome


def _check_event(item: EventIn) -> None:
    seq = item.client_seq
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or seq > 10**9:
        raise BadEvent(_("seq must be a positive integer."))
    if item.event_type not in BrowserEvent.Type.values:
        raise BadEvent(_("Unknown event type: %(type)s.") % {"type": str(item.event_type)[:32]})
    duration = item.duration_ms
    if duration is not None and (
        not isinstance(duration, int) or isinstance(duration, bool) or not 0 <= duration < 2**31
    ):
        raise BadEvent(_("duration_ms must be a non-negative integer."))


def events_record(*, items: Sequence[EventIn], now: dt.datetime | None = None) -> list[EventResult | ProctoringError]:
    """Store browser events of many sockets in one transaction, in sequence, applying the tab-switch policy.

    Returns one outcome per item, in order: its ``EventResult`` or the
    ``ProctoringError`` that refused it (one refused event never holds back
    the others). Sequence numbers are per attempt and dense: the next accepted
    one is ``last_seq + 1``; one at or below ``last_seq`` is a resend
    (acknowledged again, stored once); one above ``last_seq + 1`` is refused
    (``OutOfSequence``, with ``expected``), so no gap can be stored. The
    monitor rows are locked (in attempt order, so concurrent batches cannot
    deadlock) until the commit: the caller acknowledges only after this returns.
    """
    now = now or timezone.now()
    outcomes: list[EventResult | ProctoringError | None] = [None] * len(items)
    valid: list[int] = []
    for index, item in enumerate(items):
        try:
            _check_event(item)
        except ProctoringError as exc:
            outcomes[index] = exc
        else:
            valid.append(index)
    if valid:
        with transaction.atomic():
            _events_store(items, valid, outcomes, now)
    return outcomes  # type: ignore[return-value]


def _locked_monitors(attempt_ids: list[int]) -> dict[int, AttemptMonitor]:
    locked = (
        AttemptMonitor.objects.select_for_update(of=("self",))
        .select_related("attempt")
        .only(*_MONITOR_FIELDS, "attempt__status")
        .order_by("attempt_id")
    )
    monitors = {m.attempt_id: m for m in locked.filter(attempt_id__in=attempt_ids)}
    missing = [a for a in attempt_ids if a not in monitors]
    if missing:
        existing = set(Attempt.objects.filter(pk__in=missing).values_list("pk", flat=True))
        AttemptMonitor.objects.bulk_create(
            [AttemptMonitor(attempt_id=a) for a in missing if a in existing], ignore_conflicts=True
        )
        monitors.update({m.attempt_id: m for m in locked.filter(attempt_id__in=missing)})
    return monitors


def _events_store(
    items: Sequence[EventIn],
    valid: list[int],
    outcomes: list[EventResult | ProctoringError | None],
    now: dt.datetime,
) -> None:
    """The body of ``events_record``; call inside its transaction."""
    monitors = _locked_monitors(sorted({items[i].attempt_id for i in valid}))
    policies: dict[int, ProctoringPolicy | None] = {}
    rows: list[BrowserEvent] = []
    touched: dict[int, AttemptMonitor] = {}
    for index in valid:
        item = items[index]
        monitor = monitors.get(item.attempt_id)
        if monitor is None:
            outcomes[index] = AttemptFinished(_("This exam has already been submitted."))
            continue
        seq = item.client_seq
        if seq <= monitor.last_seq:
            outcomes[index] = EventResult(
                seq, duplicate=True, tab_switches=monitor.tab_switches, warnings=monitor.warnings
            )
            continue
        if seq != monitor.last_seq + 1:
            outcomes[index] = OutOfSequence(
                _("Event %(seq)d is out of sequence: the next one must be %(expected)d.")
                % {"seq": seq, "expected": monitor.last_seq + 1},
                expected=monitor.last_seq + 1,
            )
            continue
        if monitor.attempt.status != Attempt.Status.IN_PROGRESS:
            outcomes[index] = AttemptFinished(_("This exam has already been submitted."))
            continue
        policy = item.policy
        if policy is False:
            if item.session_id not in policies:
                policies[item.session_id] = policy_for(item.session_id)
            policy = policies[item.session_id]
        counted = _counts_as_switch(policy, item.event_type, item.duration_ms, bool(item.hidden_during))
        rows.append(
            BrowserEvent(
                attempt_id=item.attempt_id,
                client_seq=seq,
                type=item.event_type,
                duration_ms=item.duration_ms,
                counted=counted,
                client_at=_parse_client_at(item.client_at),
                received_at=now,
            )
        )
        monitor.last_seq = seq
        monitor.event_count += 1
        monitor.tab_switches += int(counted)
        monitor.last_seen_at = now
        result = EventResult(seq, counted=counted)
        if counted and policy is not None:
            _apply_tab_policy(policy, monitor, item.attempt_id, item.session_id, result, now)
            if result.submitted:
                # Later events of this batch for the attempt are refused like any after a submit.
                monitor.attempt.status = Attempt.Status.SUBMITTED
        result.tab_switches, result.warnings = monitor.tab_switches, monitor.warnings
        result.live = {
            "type": "event",
            "attempt": item.attempt_id,
            "event": item.event_type,
            "events": monitor.event_count,
            "tab_switches": monitor.tab_switches,
            "warnings": monitor.warnings,
            "flags": monitor.flag_count,
        }
        outcomes[index] = result
        touched[item.attempt_id] = monitor
    BrowserEvent.objects.bulk_create(rows)
    _monitors_save(list(touched.values()))


_COUNTERS = ("last_seq", "event_count", "tab_switches", "warnings", "flag_count", "last_seen_at")


def _monitors_save(monitors: list[AttemptMonitor]) -> None:
    """Write the counters of locked monitors: one statement on PostgreSQL."""
    update_rows(AttemptMonitor, _COUNTERS, [(m.pk, *(getattr(m, name) for name in _COUNTERS)) for m in monitors])


_MONITOR_FIELDS = ("attempt_id", "last_seq", "event_count", "tab_switches", "warnings", "flag_count", "last_seen_at")


def _flag(monitor: AttemptMonitor, attempt_id: int, kind: str, detail: str, now: dt.datetime) -> None:
    Flag.objects.create(attempt_id=attempt_id, kind=kind, detail=detail[:255], created_at=now)
    monitor.flag_count += 1


def _auto_submit(attempt_id: int, session_id: int, text: str, monitor: AttemptMonitor, now: dt.datetime) -> bool:
    submitted = exam_services.attempt_submit(
        attempt=Attempt(pk=attempt_id), reason=Attempt.SubmitReason.AUTO_POLICY, now=now
    ).graded_now
    if not submitted:
        # Someone (the examinee, the deadline job, a proctor) submitted it first: their reason stands.
        return False
    ProctorMessage.objects.create(attempt_id=attempt_id, kind=ProctorMessage.Kind.POLICY, text=text[:500], sent_at=now)
    _flag(monitor, attempt_id, Flag.Kind.AUTO_SUBMITTED, text, now)
    broadcast.to_examinee(attempt_id, {"type": "submitted", "text": text})
    broadcast.to_proctors(session_id, {"type": "status", "attempt": attempt_id, "status": Attempt.Status.SUBMITTED})
    return submitted


def _apply_tab_policy(
    policy: ProctoringPolicy,
    monitor: AttemptMonitor,
    attempt_id: int,
    session_id: int,
    result: EventResult,
    now: dt.datetime,
) -> None:
    n = monitor.tab_switches
    if policy.tab_submit_at and n >= policy.tab_submit_at:
        text = _("The exam was submitted automatically after %(n)d tab switches.") % {"n": n}
        result.submitted = _auto_submit(attempt_id, session_id, text, monitor, now)
        result.notices.append({"type": "submitted", "text": text})
        return
    if n >= policy.tab_warn_at:
        monitor.warnings += 1
        if policy.tab_submit_at:
            text = _(
                "You left the exam page (%(n)d times). At %(limit)d times the exam is submitted automatically."
            ) % {"n": n, "limit": policy.tab_submit_at}
        else:
            text = _("You left the exam page (%(n)d times). This is recorded for the proctor.") % {"n": n}
        ProctorMessage.objects.create(attempt_id=attempt_id, kind=ProctorMessage.Kind.POLICY, text=text, sent_at=now)
        if n == policy.tab_warn_at:
            _flag(monitor, attempt_id, Flag.Kind.TAB_SWITCHES, _("%(n)d tab switches") % {"n": n}, now)
        result.notices.append({"type": "warning", "text": text, "tab_switches": n, "limit": policy.tab_submit_at})


# --- in-exam: snapshots ---------------------------------------------------------------


def snapshot_receive(*, attempt_id: int, data: bytes, now: dt.datetime | None = None) -> Snapshot:
    """Store a snapshot privately and queue its face check. Every door (socket, API) comes through here.

    Refused with nothing written (no file, no row, no counter changed):
    a frame over ``PROCTORING_SNAPSHOT_MAX_BYTES`` or one that does not decode as
    a JPEG/PNG of at most ``PROCTORING_SNAPSHOT_MAX_SIDE`` pixels a side
    (``BadImage``, with ``reason``); a frame of a finished attempt
    (``AttemptFinished``); a frame ahead of the rate (``SnapshotTooSoon``, with
    ``retry_after`` seconds); a frame of a person without a standing face
    consent, e.g. withdrawn mid-exam (``ConsentRequired``); a frame beyond the attempt's
    ``PROCTORING_ATTEMPT_MAX_BYTES`` (``SnapshotStorageFull``; the proctor is told once).

    The rate is counted on the server clock only, as a GCRA limiter on the
    monitor row: with T the policy's ``snapshot_min_seconds`` and a burst of
    ``PROCTORING_SNAPSHOT_BURST`` frames, a frame is accepted when
    ``snapshot_tat <= now + burst × T``, and moves ``snapshot_tat`` to
    ``max(snapshot_tat, now) + T``. So frames come at most one per T in the long
    run, and a reloaded page may send its first frame early once. The check,
    the storage cap and taking the slot are one conditional UPDATE: exactly one
    row changed means accepted, so two sockets of one attempt cannot both take
    the same slot (PostgreSQL re-checks the WHERE after the other's commit;
    SQLite serialises writers).
    """
    now = now or timezone.now()
    data = _check_size(data, settings.PROCTORING_SNAPSHOT_MAX_BYTES)
    try:
        vision.check_snapshot_image(
            data, max_bytes=settings.PROCTORING_SNAPSHOT_MAX_BYTES, max_side=settings.PROCTORING_SNAPSHOT_MAX_SIDE
        )
    except vision.VisionError as exc:
        raise BadImage(image_reason_text(exc.reason), reason=exc.reason) from None
    attempt = Attempt.objects.filter(pk=attempt_id).values("status", "session_id", "person_id").first()
    if attempt is None or attempt["status"] != Attempt.Status.IN_PROGRESS:
        raise AttemptFinished(_("This exam has already been submitted; the snapshot was not kept."))
    if not FaceConsent.objects.filter(person_id=attempt["person_id"], withdrawn_at__isnull=True).exists():
        # Withdrawn (or never given): no face image of theirs is kept or face-matched.
        raise ConsentRequired(
            _("Consent to face processing has been withdrawn or was never given; the snapshot was not kept.")
        )
    policy = policy_for(attempt["session_id"])
    interval = dt.timedelta(seconds=policy.snapshot_min_seconds if policy else _DEFAULT_SNAPSHOT_MIN_SECONDS)
    size, cap = len(data), settings.PROCTORING_ATTEMPT_MAX_BYTES
    refusal: ProctoringError | None = None
    path = ""
    try:
        with transaction.atomic():
            taken = _snapshot_slot_take(attempt_id, now, interval, size, cap)
            if not taken:
                # A door that never opened the socket has no monitor row yet.
                _monitor, created = AttemptMonitor.objects.get_or_create(attempt_id=attempt_id)
                taken = created and _snapshot_slot_take(attempt_id, now, interval, size, cap)
            if not taken:
                refusal = _snapshot_refusal(attempt_id, now, interval, size, cap)
            else:
                path = storage.save("snapshots", attempt_id, data, storage.sniff_suffix(data))
                snapshot = Snapshot.objects.create(
                    attempt_id=attempt_id, received_at=now, size_bytes=size, photo_path=path
                )
                from proctoring.tasks import process_snapshot

                background.enqueue(process_snapshot, snapshot.pk)
    except Exception:
        storage.delete(path)
        raise
    if refusal is not None:
        if isinstance(refusal, SnapshotStorageFull):
            _snapshot_storage_full_notice(attempt_id, attempt["session_id"], cap, now)
        raise refusal
    return snapshot


_DEFAULT_SNAPSHOT_MIN_SECONDS: int = ProctoringPolicy._meta.get_field("snapshot_min_seconds").default  # type: ignore[assignment]


def _snapshot_slot_take(attempt_id: int, now: dt.datetime, interval: dt.timedelta, size: int, cap: int) -> bool:
    """The conditional UPDATE of ``snapshot_receive``: rate, cap and the slot in one statement."""
    burst = interval * settings.PROCTORING_SNAPSHOT_BURST
    fresh = Q(snapshot_tat__isnull=True) | Q(snapshot_tat__lt=now)
    changed = (
        AttemptMonitor.objects.filter(attempt_id=attempt_id, snapshot_bytes__lte=cap - size)
        .filter(Q(snapshot_tat__isnull=True) | Q(snapshot_tat__lte=now + burst))
        .update(
            snapshot_tat=Case(
                When(fresh, then=Value(now + interval)),
                default=ExpressionWrapper(F("snapshot_tat") + interval, output_field=DateTimeField()),
                output_field=DateTimeField(),
            ),
            last_snapshot_at=now,
            snapshot_count=F("snapshot_count") + 1,
            snapshot_bytes=F("snapshot_bytes") + size,
            snapshot_gap_since=None,
        )
    )
    return changed == 1


def _snapshot_refusal(
    attempt_id: int, now: dt.datetime, interval: dt.timedelta, size: int, cap: int
) -> ProctoringError:
    """Why the slot was not taken (read after the refused UPDATE, only to word the error)."""
    row = AttemptMonitor.objects.filter(attempt_id=attempt_id).values("snapshot_tat", "snapshot_bytes").first()
    if row is None:
        return AttemptFinished(_("This exam has already been submitted; the snapshot was not kept."))
    if row["snapshot_bytes"] + size > cap:
        return SnapshotStorageFull(
            _("This exam's snapshot storage (%(mb)s MB) is full; the snapshot was not kept.") % {"mb": _megabytes(cap)}
        )
    burst = interval * settings.PROCTORING_SNAPSHOT_BURST
    wait = (row["snapshot_tat"] - burst - now).total_seconds() if row["snapshot_tat"] else 0
    retry_after = max(1, int(wait) + (wait % 1 > 0))
    return SnapshotTooSoon(
        _("Snapshots are sent too often: at most one every %(n)d seconds. Try again in %(s)d seconds.")
        % {"n": int(interval.total_seconds()), "s": retry_after},
        retry_after=retry_after,
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _snapshot_storage_full_notice(attempt_id: int, session_id: int, cap: int, now: dt.datetime) -> None:
    """Flag the attempt and tell its proctors, once per attempt (a conditional UPDATE decides who tells)."""
    with transaction.atomic():
        changed = AttemptMonitor.objects.filter(attempt_id=attempt_id, snapshot_storage_full_at__isnull=True).update(
            snapshot_storage_full_at=now, flag_count=F("flag_count") + 1
        )
        if changed != 1:
            return
        detail = _("Snapshot storage of %(mb)s MB is full; later snapshots were not kept.") % {"mb": _megabytes(cap)}
        Flag.objects.create(attempt_id=attempt_id, kind=Flag.Kind.SNAPSHOT_STORAGE, detail=detail[:255], created_at=now)
        flags = AttemptMonitor.objects.filter(attempt_id=attempt_id).values_list("flag_count", flat=True).first()
        broadcast.to_proctors(
            session_id, {"type": "snapshots", "attempt": attempt_id, "storage_full": True, "flags": flags}
        )
    logger.warning("Snapshot storage cap reached for attempt %s", attempt_id)


# --- in-exam: missing snapshots ---------------------------------------------------------


@dataclass
class GapCheck:
    flagged: int = 0
    submitted: int = 0
    in_gap: int = 0


def snapshot_gaps_check(*, now: dt.datetime | None = None) -> GapCheck:
    """Flag (once per gap), warn and, per policy, submit in-progress proctored attempts whose snapshots stopped.

    Who must send snapshots is decided when the paper is delivered, not re-read
    from the current enrolment (``snapshots_required_q``): an examinee who passed
    the identity check by face, or had a face enrolled at delivery. Withdrawing
    consent mid-exam does not end the duty (the attempt is flagged
    ``consent_withdrawn`` at once, and later frames are refused). An examinee on
    the manual ID-check path, who never enrolled, sends none and is never
    flagged for it; nor are attempts of sessions without a policy, or finished attempts.

    A gap starts at the last stored snapshot (with none, at the attempt's
    ``started_at``). With M the policy's ``snapshot_max_seconds`` and G its
    ``missing_grace_seconds``, a gap longer than M × ``missing_flag_after`` + G
    is flagged for review (``Flag.Kind.SNAPSHOTS_MISSING``), shown on the live
    grid and announced to the examinee's socket; one of M ×
    ``missing_submit_after`` + G submits the attempt (reason ``auto_policy``).

    One query finds the attempts in a gap. Each is flagged by a conditional
    UPDATE of its monitor that records the gap's start (and only if no snapshot
    arrived since the query), so a gap is flagged once however many ticks or
    processes see it; the next stored snapshot clears the mark.
    """
    now = now or timezone.now()
    result = GapCheck()
    for row in _gap_candidates(now):
        result.in_gap += 1
        flagged, submitted = _gap_handle(row, now)
        result.flagged += int(flagged)
        result.submitted += int(submitted)
    return result


_SECOND = Value(dt.timedelta(seconds=1), output_field=DurationField())


def _gap_candidates(now: dt.datetime) -> list[dict[str, Any]]:
    pol = "session__proctoring_policy__"
    limit = ExpressionWrapper(
        (F(f"{pol}snapshot_max_seconds") * F(f"{pol}missing_flag_after") + F(f"{pol}missing_grace_seconds")) * _SECOND,
        output_field=DurationField(),
    )
    return list(
        Attempt.objects.filter(
            status=Attempt.Status.IN_PROGRESS, started_at__isnull=False, session__proctoring_policy__isnull=False
        )
        .filter(snapshots_required_q())
        .annotate(gap_start=Coalesce(F("monitor__last_snapshot_at"), F("started_at")))
        .annotate(gap_end=ExpressionWrapper(F("gap_start") + limit, output_field=DateTimeField()))
        .filter(gap_end__lt=now)
        .values(
            "pk",
            "session_id",
            "gap_start",
            "monitor__last_snapshot_at",
            "monitor__snapshot_gap_since",
            f"{pol}snapshot_max_seconds",
            f"{pol}missing_submit_after",
            f"{pol}missing_grace_seconds",
        )
        .order_by("pk")
    )


def _gap_handle(row: dict[str, Any], now: dt.datetime) -> tuple[bool, bool]:
    pol = "session__proctoring_policy__"
    attempt_id, session_id, gap_start = row["pk"], row["session_id"], row["gap_start"]
    max_seconds, submit_after = row[f"{pol}snapshot_max_seconds"], row[f"{pol}missing_submit_after"]
    grace = row[f"{pol}missing_grace_seconds"]
    seconds = int((now - gap_start).total_seconds())
    missed = (seconds - grace) // max_seconds
    # Still the same gap: no snapshot was stored since the query read the row.
    same_gap = (
        Q(last_snapshot_at__isnull=True)
        if row["monitor__last_snapshot_at"] is None
        else Q(last_snapshot_at=row["monitor__last_snapshot_at"])
    )
    flagged = submitted = False
    with transaction.atomic():
        if row["monitor__snapshot_gap_since"] != gap_start:
            monitor_for(attempt_id)  # an examinee who never opened the socket has no monitor row yet
            flagged = (
                AttemptMonitor.objects.filter(same_gap, attempt_id=attempt_id)
                .exclude(snapshot_gap_since=gap_start)
                .update(snapshot_gap_since=gap_start, flag_count=F("flag_count") + 1)
                == 1
            )
        if flagged:
            Flag.objects.create(
                attempt_id=attempt_id,
                kind=Flag.Kind.SNAPSHOTS_MISSING,
                detail=_("No snapshot received for over %(n)d seconds") % {"n": seconds},
                created_at=now,
            )
            if submit_after:
                text = _(
                    "No camera snapshot has arrived for %(n)d seconds. Keep the exam page open with the camera on: "
                    "after %(limit)d seconds without snapshots the exam is submitted automatically."
                ) % {"n": seconds, "limit": max_seconds * submit_after + grace}
            else:
                text = _(
                    "No camera snapshot has arrived for %(n)d seconds. Keep the exam page open with the camera on; "
                    "this is recorded for the proctor."
                ) % {"n": seconds}
            ProctorMessage.objects.create(
                attempt_id=attempt_id, kind=ProctorMessage.Kind.POLICY, text=text, sent_at=now
            )
            AttemptMonitor.objects.filter(attempt_id=attempt_id).update(warnings=F("warnings") + 1)
            broadcast.to_examinee(attempt_id, {"type": "warning", "text": text, "snapshots_missing": True})
        if submit_after and missed >= submit_after:
            monitor = AttemptMonitor.objects.select_for_update().filter(same_gap, attempt_id=attempt_id).first()
            if monitor is not None:
                before = monitor.flag_count
                text = _("The exam was submitted automatically: no snapshot was received for %(n)d seconds.") % {
                    "n": seconds
                }
                submitted = _auto_submit(attempt_id, session_id, text, monitor, now)
                if monitor.flag_count != before:
                    AttemptMonitor.objects.filter(pk=monitor.pk).update(
                        flag_count=F("flag_count") + (monitor.flag_count - before)
                    )
        if flagged or submitted:
            flags = AttemptMonitor.objects.filter(attempt_id=attempt_id).values_list("flag_count", flat=True).first()
            broadcast.to_proctors(
                session_id,
                {"type": "snapshots", "attempt": attempt_id, "snapshots_missing": True, "flags": flags},
            )
    if flagged:
        logger.info("Attempt %s: no snapshot for %d s, flagged", attempt_id, seconds)
    return flagged, submitted


def snapshot_gaps_tick(*, now: dt.datetime | None = None) -> GapCheck:
    """The periodic job's entry: texts stored by a background job are in the platform's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return snapshot_gaps_check(now=now)


def _fail_snapshot(snapshot: Snapshot, reason: str, now: dt.datetime) -> Snapshot:
    changed = Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.Status.QUEUED).update(
        status=Snapshot.Status.FAILED, failure_reason=reason, processed_at=now
    )
    if changed:
        snapshot.status, snapshot.failure_reason = Snapshot.Status.FAILED, reason
        broadcast.to_examinee(snapshot.attempt_id, {"type": "face", "outcome": "failed", "reason": reason})
        broadcast.to_proctors(
            snapshot.attempt.session_id,
            {
                "type": "face",
                "attempt": snapshot.attempt_id,
                "face": "failed",
                "distance": None,
                "thumbnail": snapshot_url(snapshot.pk),
                "snapshots_missing": False,
            },
        )
    return snapshot


def snapshot_process(*, snapshot_id: int, now: dt.datetime | None = None) -> Snapshot | None:
    """Run the face check of a queued snapshot and apply the face policy. Idempotent.

    Every snapshot ends ``processed`` (with outcome, distance, threshold) or
    ``failed`` with a reason (no enrolment, unreadable image, ...).
    """
    now = now or timezone.now()
    snapshot = Snapshot.objects.select_related("attempt__session", "attempt__person").filter(pk=snapshot_id).first()
    if snapshot is None or snapshot.status != Snapshot.Status.QUEUED:
        return snapshot
    attempt = snapshot.attempt
    data = storage.read(snapshot.photo_path)
    if data is None:
        return _fail_snapshot(snapshot, "file_missing", now)
    enrolment = enrolment_of(attempt.person)
    if enrolment is None:
        return _fail_snapshot(snapshot, "no_reference", now)
    policy = policy_for(attempt.session_id)
    tolerance = policy.tolerance if policy else vision.DEFAULT_TOLERANCE
    try:
        check = vision.check_frame(
            data, _reference(enrolment), tolerance=tolerance, max_bytes=settings.PROCTORING_SNAPSHOT_MAX_BYTES
        )
    except vision.VisionError as exc:
        return _fail_snapshot(snapshot, exc.reason, now)
    except Exception:
        logger.exception("Snapshot %s could not be processed", snapshot.pk)
        return _fail_snapshot(snapshot, "internal_error", now)
    outcome = str(check.outcome)
    with transaction.atomic():
        changed = Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.Status.QUEUED).update(
            status=Snapshot.Status.PROCESSED,
            outcome=outcome,
            distance=check.distance,
            threshold=check.threshold,
            face_count=check.face_count,
            processed_at=now,
        )
        if changed != 1:
            return Snapshot.objects.get(pk=snapshot.pk)
        monitor_for(attempt.pk)
        monitor = AttemptMonitor.objects.select_for_update().get(attempt_id=attempt.pk)
        # Mismatch, no face and several faces all break the run of good checks.
        monitor.face_failures_in_row = 0 if outcome == FaceOutcome.MATCH else monitor.face_failures_in_row + 1
        monitor.last_snapshot_id = snapshot.pk
        failures = monitor.face_failures_in_row
        submitted = False
        if policy is not None and failures == policy.face_flag_after:
            _flag(
                monitor,
                attempt.pk,
                Flag.Kind.FACE,
                _("%(n)d face checks in a row failed (last: %(outcome)s)")
                % {"n": failures, "outcome": FaceOutcome(outcome).label},
                now,
            )
        if (
            policy is not None
            and policy.face_submit_after
            and failures >= policy.face_submit_after
            and Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).exists()
        ):
            text = _("The exam was submitted automatically: the face check failed %(n)d times in a row.") % {
                "n": failures
            }
            submitted = _auto_submit(attempt.pk, attempt.session_id, text, monitor, now)
        monitor.save(update_fields=["face_failures_in_row", "last_snapshot", "flag_count"])
        broadcast.to_examinee(
            attempt.pk,
            {"type": "face", "outcome": outcome, "prompt": outcome == FaceOutcome.NO_FACE, "submitted": submitted},
        )
        broadcast.to_proctors(
            attempt.session_id,
            {
                "type": "face",
                "attempt": attempt.pk,
                "face": outcome,
                "distance": round(check.distance, 3) if check.distance is not None else None,
                "thumbnail": snapshot_url(snapshot.pk),
                "flags": monitor.flag_count,
                # A frame arrived: any snapshot gap of the live grid is over.
                "snapshots_missing": False,
            },
        )
    snapshot.refresh_from_db()
    return snapshot


# --- proctor actions ------------------------------------------------------------------


def proctor_warn(*, attempt: Attempt, by: Any, text: str, now: dt.datetime | None = None) -> ProctorMessage:
    text = (text or "").strip()
    if not text:
        raise BadEvent(_("Write the warning to send."))
    if attempt.is_finished:
        raise AttemptFinished(_("This exam has already been submitted."))
    with transaction.atomic():
        message = ProctorMessage.objects.create(
            attempt=attempt,
            kind=ProctorMessage.Kind.WARNING,
            text=text[:500],
            sent_by=by,
            sent_at=now or timezone.now(),
        )
        AttemptMonitor.objects.filter(attempt_id=attempt.pk).update(warnings=F("warnings") + 1)
        broadcast.to_examinee(attempt.pk, {"type": "warning", "text": message.text, "from_proctor": True})
    return message


def proctor_terminate(*, attempt: Attempt, by: Any, reason: str, now: dt.datetime | None = None) -> Attempt:
    """End the attempt now (submitted and graded, reason ``proctor``), with the proctor's reason on record."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise BadEvent(_("Give the reason for ending the exam."))
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AttemptFinished(_("This exam is not in progress."))
    with transaction.atomic():
        exam_services.attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.PROCTOR, now=now)
        ProctorMessage.objects.create(
            attempt=attempt, kind=ProctorMessage.Kind.TERMINATE, text=reason[:500], sent_by=by, sent_at=now
        )
        monitor = monitor_for(attempt.pk)
        _flag(monitor, attempt.pk, Flag.Kind.TERMINATED, reason, now)
        AttemptMonitor.objects.filter(pk=monitor.pk).update(flag_count=F("flag_count") + 1)
        broadcast.to_examinee(attempt.pk, {"type": "submitted", "text": reason, "from_proctor": True})
        broadcast.to_proctors(
            attempt.session_id, {"type": "status", "attempt": attempt.pk, "status": Attempt.Status.SUBMITTED}
        )
    return Attempt.objects.get(pk=attempt.pk)


def review_decide(
    *, attempt: Attempt, by: Any, decision: str, reason: str = "", now: dt.datetime | None = None
) -> ReviewDecision:
    """Record the proctor's decision on a finished attempt; ``invalid`` voids the score and revokes the certificate."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if decision not in ReviewDecision.Decision.values:
        raise BadEvent(_("Choose valid or invalid."))
    if decision == ReviewDecision.Decision.INVALID and not reason:
        raise BadEvent(_("Give the reason why the attempt is invalid."))
    if not attempt.is_finished:
        raise BadEvent(_("The attempt is still in progress; decide after it is submitted."))
    try:
        with transaction.atomic():
            record = ReviewDecision.objects.create(
                attempt=attempt, decision=decision, reason=reason[:255], decided_by=by, decided_at=now
            )
            if decision == ReviewDecision.Decision.INVALID:
                exam_services.attempt_invalidate(attempt=attempt, reason=reason, now=now)
    except IntegrityError:
        raise AlreadyDecided(_("This attempt has already been decided.")) from None
    logger.info("Review decision %s on attempt %s by user %s", decision, attempt.pk, getattr(by, "pk", None))
    return record


# --- retention ------------------------------------------------------------------------


def purge_media(*, days: int | None = None, dry_run: bool = False, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete face images older than the retention; keep the rows (outcomes, distances, decisions, events).

    Idempotent: a purged row has an empty path and is not selected again.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days if days is not None else settings.PROCTORING_RETENTION_DAYS)
    targets = {
        "snapshots": Snapshot.objects.filter(received_at__lt=cutoff)
        .exclude(photo_path="")
        .exclude(status=Snapshot.Status.QUEUED),
        "identity_checks": IdentityCheck.objects.filter(created_at__lt=cutoff).exclude(photo_path=""),
        "reference_photos": FaceEnrolment.objects.filter(created_at__lt=cutoff).exclude(photo_path=""),
    }
    counts: dict[str, int] = {}
    for name, qs in targets.items():
        rows = list(qs.values_list("pk", "photo_path"))
        counts[name] = len(rows)
        if dry_run or not rows:
            continue
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            with transaction.atomic():
                qs.model.objects.filter(pk__in=[pk for pk, _path in chunk]).update(photo_path="", photo_purged_at=now)
            for _pk, path in chunk:
                storage.delete(path)
    return counts
