"""What proctors and exam admins do: set a session's policy, warn or stop an examinee, ask for liveness, decide a review."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.models import Attempt, ExamSession
from exams.services.attempts import attempt_invalidate, attempt_submit
from proctoring import broadcast
from proctoring.models import AttemptMonitor, Flag, ProctoringPolicy, ProctorMessage, ReviewDecision
from proctoring.selectors import enrolment_of
from proctoring.services.errors import AlreadyDecided, AttemptFinished, BadEvent, NotEnrolled
from proctoring.services.events import monitor_flag, monitor_for

logger = logging.getLogger(__name__)


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


def proctor_request_liveness(*, attempt: Attempt, by: Any, now: dt.datetime | None = None) -> ProctorMessage:
    """Ask the examinee for an on-demand liveness check: recorded, and ``liveness_request`` sent to their page.

    The examinee's page then starts a check of purpose ``on_demand``
    (``services.liveness.liveness_start``); a failed one flags the attempt.
    Only for a running attempt of a person with an enrolled face (``NotEnrolled``).
    """
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AttemptFinished(_("This exam is not in progress."))
    if enrolment_of(attempt.person) is None:
        raise NotEnrolled(_("This examinee has no enrolled face: check their ID by hand instead."))
    text = _("The proctor asks you to complete a short liveness check in front of the camera.")
    with transaction.atomic():
        message = ProctorMessage.objects.create(
            attempt=attempt, kind=ProctorMessage.Kind.LIVENESS, text=text, sent_by=by, sent_at=now or timezone.now()
        )
        broadcast.to_examinee(attempt.pk, {"type": "liveness_request", "text": text})
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
        attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.PROCTOR, now=now)
        ProctorMessage.objects.create(
            attempt=attempt, kind=ProctorMessage.Kind.TERMINATE, text=reason[:500], sent_by=by, sent_at=now
        )
        monitor = monitor_for(attempt.pk)
        monitor_flag(monitor, attempt.pk, Flag.Kind.TERMINATED, reason, now)
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
                attempt_invalidate(attempt=attempt, reason=reason, now=now)
    except IntegrityError:
        raise AlreadyDecided(_("This attempt has already been decided.")) from None
    logger.info("Review decision %s on attempt %s by user %s", decision, attempt.pk, getattr(by, "pk", None))
    return record
