"""Action liveness (动作活体): start a check, take each step's burst of frames, decide, and the review trail.

The decision itself is ``proctoring.liveness`` (pure). Here: who may start a
check and when, the server's random challenges, the order and deadline of the
steps, the frames' limits, and what is kept: a step's numbers always, the
frames only when the check failed (evidence for review, private storage, the
retention of identity photos); a passed check's frames are deleted when it is
decided. A failed check of purpose ``on_demand`` flags the attempt for review,
as a run of face mismatches does.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from exams.models import Attempt, ExamSession
from organizations.models import Person
from proctoring import broadcast, liveness, storage, vision
from proctoring.models import AttemptMonitor, Flag, LivenessCheck
from proctoring.selectors import policy_for
from proctoring.services.errors import (
    AlreadyPassed,
    AttemptFinished,
    BadEvent,
    BadFrames,
    BadImage,
    IdentityLocked,
    LivenessExpired,
    LivenessFinished,
    LivenessOutOfOrder,
    check_image_size,
    image_reason_text,
)
from proctoring.services.events import monitor_flag, monitor_for
from proctoring.services.identity import (
    face_reference,
    identity_check_state,
    identity_try_failed,
    photo_upload_allow,
    usable_enrolment,
)

logger = logging.getLogger(__name__)

# The whole check (every step) must be done within this.
CHECK_SECONDS = 60


def step_message(reason: str) -> str:
    """What the examinee reads after a step, by the decision's reason."""
    return image_reason_text(reason)


def draw_challenges(rng: secrets.SystemRandom | Any = None) -> list[str]:
    """2 or 3 distinct challenges in random order, drawn by the server (never by the client)."""
    rng = rng or secrets.SystemRandom()
    kinds = list(liveness.Challenge)
    return [str(kind) for kind in rng.sample(kinds, rng.choice((2, 3)))]


def liveness_start(
    *, session: ExamSession, person: Person, purpose: str, now: dt.datetime | None = None, rng: Any = None
) -> LivenessCheck:
    """Start a check for (session, person); any pending one of theirs is closed as ``superseded``.

    ``identity``: before the exam, on the identity check's terms (a session
    with a check, open or within the lead; refused once the check is passed or
    locked); counts as one photo of ``photo_upload_allow``. ``on_demand``: during
    the person's running attempt of the session (``AttemptFinished`` otherwise).
    Both need a usable enrolment (``NotEnrolled`` / ``ConsentOutdated``).
    """
    now = now or timezone.now()
    if purpose not in LivenessCheck.Purpose.values:
        raise BadEvent(_("Unknown liveness purpose."))
    attempt = None
    if purpose == LivenessCheck.Purpose.IDENTITY:
        _policy, status = identity_check_state(session, person, now)
        if status.state == "passed":
            raise AlreadyPassed(_("The identity check for this exam is already passed."))
        if status.state in ("pending_manual", "rejected") or status.tries_left <= 0:
            raise IdentityLocked(_("The identity check is in a proctor's hands. Contact the proctor."))
    else:
        if policy_for(session) is None:
            raise IdentityLocked(_("This exam is not proctored."))
        attempt = Attempt.objects.filter(session=session, person=person, status=Attempt.Status.IN_PROGRESS).first()
        if attempt is None:
            raise AttemptFinished(_("There is no running exam to check liveness for."))
    usable_enrolment(person)
    if purpose == LivenessCheck.Purpose.IDENTITY:
        photo_upload_allow(person=person, now=now)
    with transaction.atomic():
        for old in LivenessCheck.objects.select_for_update().filter(
            session=session, person=person, status=LivenessCheck.Status.PENDING
        ):
            _close(old, LivenessCheck.Status.FAILED, "superseded", now, flag=False)
        check = LivenessCheck.objects.create(
            session=session,
            person=person,
            attempt=attempt,
            purpose=purpose,
            challenges=draw_challenges(rng),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=CHECK_SECONDS),
        )
        if attempt is not None:
            broadcast.to_proctors(
                session.pk, {"type": "liveness", "attempt": attempt.pk, "status": check.status, "reason": ""}
            )
    return check


def _frames_checked(frames: list[bytes]) -> list[bytes]:
    """Every frame through the snapshot image checks; ``BadFrames`` (400, field ``frames``) names the problem."""
    if len(frames) < liveness.MIN_FRAMES or len(frames) > liveness.MAX_FRAMES:
        reason = "too_few_frames" if len(frames) < liveness.MIN_FRAMES else "too_many_frames"
        raise BadFrames(
            _("Send %(min)d to %(max)d frames (multipart field frames, repeated); %(n)d arrived.")
            % {"min": liveness.MIN_FRAMES, "max": liveness.MAX_FRAMES, "n": len(frames)},
            reason=reason,
        )
    checked = []
    for index, frame in enumerate(frames):
        try:
            data = check_image_size(frame, settings.PROCTORING_SNAPSHOT_MAX_BYTES)
            vision.check_snapshot_image(
                data, max_bytes=settings.PROCTORING_SNAPSHOT_MAX_BYTES, max_side=settings.PROCTORING_SNAPSHOT_MAX_SIDE
            )
        except vision.VisionError as exc:
            reason, why = exc.reason, image_reason_text(exc.reason)
        except BadImage as exc:
            reason, why = exc.details.get("reason", "not_an_image"), exc.message
        else:
            checked.append(data)
            continue
        raise BadFrames(_("Frame %(n)d: %(why)s") % {"n": index + 1, "why": why}, reason=reason)
    return checked


@dataclass(frozen=True)
class StepOutcome:
    check: LivenessCheck
    step: int
    passed: bool
    reason: str
    message: str
    next_step: int | None


def liveness_step(
    *, check: LivenessCheck, step: int, frames: list[bytes], now: dt.datetime | None = None
) -> StepOutcome:
    """Decide step ``step`` of ``check`` from its burst of frames (capture order, unmirrored).

    Refused (409, nothing stored) when the check is decided (``LivenessFinished``),
    past its deadline (``LivenessExpired``; the check is then failed, ``expired``)
    or when ``step`` is not the next one (``LivenessOutOfOrder``); refused (400
    ``BadFrames``, nothing stored) for fewer than ``MIN_FRAMES`` or more than
    ``MAX_FRAMES`` frames or a frame the snapshot checks refuse. The first
    failed step fails the check; the last passed step passes it.
    """
    now = now or timezone.now()
    _require_next(check, step, now)
    data = _frames_checked(list(frames))
    enrolment = usable_enrolment(check.person)
    policy = policy_for(check.session_id)
    tolerance = policy.match_threshold if policy else vision.DEFAULT_MATCH_THRESHOLD
    observations = [liveness.observe(vision.decode_image(frame)) for frame in data]
    decision = liveness.decide_step(
        check.challenges[step], observations, reference=face_reference(enrolment), tolerance=tolerance
    )
    folder = check.frames_path or storage.folder("liveness", check.person_id)
    for index, frame in enumerate(data):
        storage.save_into(folder, f"{step}-{index:02d}{storage.sniff_suffix(frame)}", frame)
    try:
        with transaction.atomic():
            locked = LivenessCheck.objects.select_for_update().get(pk=check.pk)
            _require_next(locked, step, now)
            locked.frames_path = folder
            locked.results = [
                *locked.results,
                {
                    "step": step,
                    "challenge": locked.challenges[step],
                    "status": "passed" if decision.passed else "failed",
                    "reason": decision.reason,
                    "metrics": decision.metrics,
                    "frames": len(data),
                    "decided_at": now.isoformat(),
                },
            ]
            last = step == len(locked.challenges) - 1
            if not decision.passed:
                _close(locked, LivenessCheck.Status.FAILED, decision.reason, now)
            elif last:
                if locked.purpose == LivenessCheck.Purpose.IDENTITY:
                    face = liveness.mean_descriptor(observations)
                    locked.encoding = vision.encoding_to_bytes(face) if face is not None else b""
                _close(locked, LivenessCheck.Status.PASSED, "", now)
            else:
                locked.save(update_fields=["frames_path", "results"])
    except Exception:
        if not LivenessCheck.objects.filter(pk=check.pk, frames_path=folder).exists():
            storage.delete_folder(folder)
        raise
    next_step = step + 1 if locked.status == LivenessCheck.Status.PENDING else None
    return StepOutcome(locked, step, decision.passed, decision.reason, step_message(decision.reason), next_step)


def _require_next(check: LivenessCheck, step: int, now: dt.datetime) -> None:
    if check.status != LivenessCheck.Status.PENDING:
        raise LivenessFinished(_("This liveness check is already decided; start a new one."))
    if now > check.expires_at:
        liveness_expire(now=now, check_id=check.pk)
        raise LivenessExpired(_("Time ran out for this liveness check; start a new one."))
    expected = len(check.results)
    if step != expected:
        raise LivenessOutOfOrder(
            _("Send the steps in order: step %(expected)d is next.") % {"expected": expected}, expected=expected
        )


def _close(check: LivenessCheck, status: str, reason: str, now: dt.datetime, *, flag: bool = True) -> None:
    """Decide ``check`` (call inside a transaction, the row locked). Passed: its frames go after the commit."""
    check.status, check.reason, check.decided_at = status, reason, now
    if status == LivenessCheck.Status.PASSED and check.frames_path:
        folder, check.frames_path = check.frames_path, ""
        transaction.on_commit(lambda: storage.delete_folder(folder))
    if status == LivenessCheck.Status.FAILED and flag and check.attempt_id is not None:
        check.flag = _flag_attempt(check, reason, now)
    if (
        status == LivenessCheck.Status.FAILED
        and check.purpose == LivenessCheck.Purpose.IDENTITY
        and reason
        not in (
            "superseded",
            "expired",
        )
    ):
        # At the door a failed liveness check is a failed try, as a face mismatch is (a check left to
        # expire or replaced by a new one is not: nothing was shown to fail).
        check.identity_check = identity_try_failed(
            session=check.session,
            person=check.person,
            reason="liveness_failed",
            note=_("Liveness check failed (%(reason)s)") % {"reason": image_reason_text(reason)},
            now=now,
        )
    check.save()
    if check.attempt_id is not None:
        broadcast.to_proctors(
            check.session_id,
            {"type": "liveness", "attempt": check.attempt_id, "status": status, "reason": reason},
        )


def _flag_attempt(check: LivenessCheck, reason: str, now: dt.datetime) -> Flag:
    monitor = monitor_for(check.attempt_id)
    monitor_flag(
        monitor,
        check.attempt_id,
        Flag.Kind.LIVENESS,
        _("Liveness check failed (%(reason)s)") % {"reason": image_reason_text(reason)},
        now,
    )
    AttemptMonitor.objects.filter(pk=monitor.pk).update(flag_count=F("flag_count") + 1)
    logger.info("Attempt %s: on-demand liveness check %s failed (%s)", check.attempt_id, check.pk, reason)
    return Flag.objects.filter(attempt_id=check.attempt_id, kind=Flag.Kind.LIVENESS).latest("created_at", "pk")


def liveness_expire(*, now: dt.datetime | None = None, check_id: int | None = None) -> int:
    """Fail pending checks past their deadline (``expired``; frames kept as evidence). Idempotent; returns how many."""
    now = now or timezone.now()
    count = 0
    pending = LivenessCheck.objects.filter(status=LivenessCheck.Status.PENDING, expires_at__lt=now)
    if check_id is not None:
        pending = pending.filter(pk=check_id)
    for pk in pending.values_list("pk", flat=True):
        with transaction.atomic():
            check = LivenessCheck.objects.select_for_update().filter(pk=pk, status=LivenessCheck.Status.PENDING).first()
            if check is not None:
                _close(check, LivenessCheck.Status.FAILED, "expired", now)
                count += 1
    return count


def liveness_expire_tick(*, now: dt.datetime | None = None) -> int:
    """The periodic job's entry: flag texts stored by a background job are in the platform's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return liveness_expire(now=now)
