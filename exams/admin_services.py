"""Writes that correct an attempt after the fact: a proctoring review reversing itself.

Kept apart from exams.services (the hot path of start, autosave and submit);
keyword-only and typed like the rest.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from exams import events
from exams.models import Attempt, Certificate
from exams.services import certificate_issue


def attempt_reinstate(*, attempt: Attempt, invalidated_at: dt.datetime, now: dt.datetime | None = None) -> Attempt:
    """Undo ``exams.services.attempt_invalidate``: the attempt counts again with the score it was graded.

    ``invalidated_at`` is the ``now`` the invalidation ran with. The certificate
    it revoked (revoked at that instant) is valid again under its own number, so
    its QR code verifies again; a certificate revoked at another time, for
    another reason, stays revoked. A passing attempt of a certifying session
    without a certificate gets one. Does nothing to an attempt that is not
    invalidated.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("session", "person__enterprise")
            .defer("payload")
            .get(pk=attempt.pk)
        )
        if current.status != Attempt.Status.INVALIDATED:
            return current
        session = current.session
        passed = current.score is not None and current.score >= session.pass_score
        Attempt.objects.filter(pk=current.pk, status=Attempt.Status.INVALIDATED).update(
            status=Attempt.Status.SUBMITTED, passed=passed, invalidated_reason=""
        )
        current.status, current.passed, current.invalidated_reason = Attempt.Status.SUBMITTED, passed, ""
        certificate = Certificate.objects.filter(attempt_id=current.pk).first()
        if certificate is not None:
            if certificate.status == Certificate.Status.REVOKED and certificate.revoked_at == invalidated_at:
                Certificate.objects.filter(pk=certificate.pk).update(
                    status=Certificate.Status.VALID, revoked_at=None, revoked_reason=""
                )
        elif passed and session.certificate_type:
            certificate_issue(attempt=current, now=now)
        events.emit("reinstated", current.pk, {"session_id": session.pk, "person_id": current.person_id})
    return Attempt.objects.get(pk=current.pk)
