"""Revising a review decision: valid → invalid or invalid → valid, with a reason, audited.

The first decision is ``proctoring.services.actions.review_decide``. A revision never
changes or deletes a row: it adds one that ``revises`` the current decision
(see ``ReviewDecision``), and applies the difference to the attempt (void it,
or reinstate its score and certificate).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.models import Attempt
from exams.services.attempts import attempt_invalidate, attempt_reinstate
from proctoring.models import ReviewDecision
from proctoring.selectors import current_decision
from proctoring.services.errors import AlreadyDecided, BadEvent

logger = logging.getLogger(__name__)


class DecisionChanged(AlreadyDecided, code="decision_changed"):
    """Someone else revised the decision since the page was loaded."""


def review_revise(
    *,
    attempt: Attempt,
    by: Any,
    decision: str,
    reason: str,
    expected: int | None = None,
    now: dt.datetime | None = None,
) -> ReviewDecision:
    """Replace the current decision on ``attempt`` with ``decision``; the reason is required both ways.

    ``expected`` is the pk of the decision the reviewer saw: when another
    revision landed in between, the call is refused rather than silently
    overriding it. Scoping (platform admin or a proctor of the session) is the
    caller's: pass an attempt from ``selectors.attempts_proctored_by``.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if decision not in ReviewDecision.Decision.values:
        raise BadEvent(_("Choose valid or invalid."))
    if not reason:
        raise BadEvent(_("Give the reason for changing the decision."))
    try:
        with transaction.atomic():
            # Serialises revisions of one attempt; the constraints catch anything that slips past.
            Attempt.objects.select_for_update().only("pk").get(pk=attempt.pk)
            previous = current_decision(attempt)
            if previous is None:
                raise BadEvent(_("This attempt has no decision yet; decide it first."))
            if expected is not None and previous.pk != expected:
                raise DecisionChanged(_("The decision was changed meanwhile by someone else; read it again first."))
            if previous.decision == decision:
                raise BadEvent(
                    _("The attempt is already decided as %(decision)s.")
                    % {"decision": ReviewDecision.Decision(decision).label}
                )
            record = ReviewDecision.objects.create(
                attempt=attempt, decision=decision, reason=reason[:255], decided_by=by, decided_at=now, revises=previous
            )
            if decision == ReviewDecision.Decision.INVALID:
                attempt_invalidate(attempt=attempt, reason=reason, now=now)
            else:
                attempt_reinstate(attempt=attempt, invalidated_at=previous.decided_at, now=now)
    except IntegrityError:
        raise DecisionChanged(_("The decision was changed meanwhile by someone else; read it again first.")) from None
    logger.info("Review decision on attempt %s revised to %s by user %s", attempt.pk, decision, getattr(by, "pk", None))
    return record
