"""Proctoring's exam start precondition (registered with ``core.preconditions`` in ``ProctoringConfig.ready``).

No paper reaches an examinee of a session whose policy requires the identity
check before that check has passed. The start path (``full=False``) costs one
indexed query for a session without a policy, and one more for a proctored one;
nothing is cached, so a check decided a moment ago counts at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.preconditions import Requirement
from proctoring.models import IdentityCheck, ProctoringPolicy
from proctoring.selectors import active_consent, enrolment_of, identity_status

NAME = "proctoring.identity_check"
IDENTITY_CHECK_REQUIRED = "identity_check_required"
PROCTORED = "proctored"
WEBSOCKET_PATH = "/ws/proctoring/attempts/{attempt_id}/"


def _api_url(name: str, *args: Any) -> str | None:
    # The token-client routes may not be installed in every build: say so with null, never fail a listing.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _message(state: str, tries_left: int) -> str:
    if state in ("passed", "not_required"):
        return _("Identity confirmed.") if state == "passed" else _("This exam is proctored.")
    if state == "pending_manual":
        return _("A proctor is checking your identity. The exam starts after they confirm it.")
    if state == "rejected":
        return _("The identity check was not passed. Contact the proctor.")
    return _("This exam needs an identity check before the paper is shown. Go to the identity check first.")


def _notes(policy: ProctoringPolicy) -> list[str]:
    notes = []
    if policy.require_identity_check:
        if policy.allow_non_biometric:
            notes.append(
                _("Before the paper is shown, your identity is checked: a face check, or a proctor checks your ID.")
            )
        else:
            notes.append(_("Before the paper is shown, your identity is checked with a face check."))
    notes.append(
        _(
            "During the exam the camera takes a face snapshot every %(min)d–%(max)d seconds "
            "and compares it with your reference photo."
        )
        % {"min": policy.snapshot_min_seconds, "max": policy.snapshot_max_seconds}
    )
    notes.append(
        ngettext(
            "Leaving the exam page (another tab or app) is recorded; you are warned after %(warn)d switch.",
            "Leaving the exam page (another tab or app) is recorded; you are warned after %(warn)d switches.",
            policy.tab_warn_at,
        )
        % {"warn": policy.tab_warn_at}
    )
    if policy.tab_submit_at:
        notes.append(
            ngettext(
                "After %(submit)d switch the exam is submitted automatically.",
                "After %(submit)d switches the exam is submitted automatically.",
                policy.tab_submit_at,
            )
            % {"submit": policy.tab_submit_at}
        )
    notes.append(
        ngettext(
            "Snapshots and identity-check photos are kept for %(days)d day, then deleted.",
            "Snapshots and identity-check photos are kept for %(days)d days, then deleted.",
            settings.PROCTORING_RETENTION_DAYS,
        )
        % {"days": settings.PROCTORING_RETENTION_DAYS}
    )
    return notes


def _details(session: Any, person: Any, policy: ProctoringPolicy, state: str, tries_left: int) -> dict[str, Any]:
    return {
        "proctored": True,
        "identity_check_required": policy.require_identity_check,
        "identity_state": state,
        "tries_left": tries_left,
        "manual_check_allowed": policy.allow_non_biometric,
        "liveness_required": policy.require_identity_check and policy.require_liveness,
        "consent_given": active_consent(person) is not None,
        "enrolled": enrolment_of(person) is not None,
        "snapshot_min_seconds": policy.snapshot_min_seconds,
        "snapshot_max_seconds": policy.snapshot_max_seconds,
        "tab_warn_at": policy.tab_warn_at,
        "tab_submit_at": policy.tab_submit_at,
        "tab_ignore_seconds": policy.tab_ignore_seconds,
        "retention_days": settings.PROCTORING_RETENTION_DAYS,
        "url": reverse("proctoring:identity_check", args=[session.pk]),
        "api": {
            "consent": _api_url("api:proctoring-consent"),
            "enrolment": _api_url("api:proctoring-enrolment"),
            "identity_check": _api_url("api:exam-identity-check", session.pk),
            "identity_check_manual": _api_url("api:exam-identity-check-manual", session.pk),
            "liveness": _api_url("api:exam-liveness", session.pk),
            "websocket": WEBSOCKET_PATH,
        },
    }


def identity_precondition(*, session: Any, person: Any, full: bool) -> Requirement | None:
    """None for a session without a proctoring policy; otherwise whether the identity check lets this person start."""
    policy = next(iter(ProctoringPolicy.objects.filter(session_id=session.pk)[:1]), None)
    if policy is None:
        return None
    code = IDENTITY_CHECK_REQUIRED if policy.require_identity_check else PROCTORED
    if not full:
        if not policy.require_identity_check:
            return Requirement(code, True, _message("not_required", 0))
        passed = IdentityCheck.objects.filter(
            session_id=session.pk, person_id=person.pk, result=IdentityCheck.Result.PASSED
        ).exists()
        if passed:
            return Requirement(code, True, _message("passed", 0))
    # A listing, or a refusal: say everything a client needs to go and satisfy it.
    status = identity_status(session, person, policy)
    return Requirement(
        code,
        status.passed,
        _message(status.state, status.tries_left),
        _details(session, person, policy, status.state, status.tries_left),
        _notes(policy),
    )
