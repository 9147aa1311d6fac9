"""Proctoring reads and scoping: who proctors which session, who sees which face image.

A proctor proctors the sessions whose training provider serves a jurisdiction
inside the proctor's grant (the session's jurisdiction); platform admins
proctor everything. Only these users see images, the live grid and the review
queue. Built on organizations.selectors, like every other scoping function.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from core.users import is_signed_in
from exams.models import Attempt, ExamSession
from exams.selectors import attempts_visible_to, results_readers_q
from organizations.models import Person, RoleGrant
from organizations.selectors import is_platform_admin, jurisdiction_paths_of, person_of, subtree_q, visible_rows
from organizations.validators import mask_id_number
from proctoring import storage
from proctoring.models import (
    AttemptMonitor,
    BrowserEvent,
    FaceConsent,
    FaceEnrolment,
    Flag,
    IdentityCheck,
    LivenessCheck,
    ProctoringPolicy,
    ProctorMessage,
    ReviewDecision,
    Snapshot,
)

Role = RoleGrant.Role


def sessions_proctored_by(user: Any) -> QuerySet[ExamSession]:
    qs = ExamSession.objects.select_related("provider__jurisdiction").filter(kind=ExamSession.Kind.EXAM)
    return visible_rows(
        qs, user, lambda: subtree_q(jurisdiction_paths_of(user, {Role.PROCTOR}), "provider__jurisdiction__path")
    )


def is_proctor(user: Any) -> bool:
    if not is_signed_in(user):
        return False
    return is_platform_admin(user) or bool(jurisdiction_paths_of(user, {Role.PROCTOR}))


def proctoring_links(user: Any, session_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For the exams admin pages: per session, whether it is proctored and the proctoring pages ``user`` may open.

    The policy page is for those who manage the session (exams' rule, as in the
    policy view); the live grid for its proctors, once a policy exists.
    """
    from exams.selectors import sessions_managed_by

    ids = list(session_ids)
    with_policy = set(ProctoringPolicy.objects.filter(session_id__in=ids).values_list("session_id", flat=True))
    editable = set(sessions_managed_by(user).filter(pk__in=ids).values_list("pk", flat=True))
    watched = set(sessions_proctored_by(user).filter(pk__in=ids).values_list("pk", flat=True))
    return {
        pk: {
            "proctored": pk in with_policy,
            "policy_url": reverse("proctoring:policy_edit", args=[pk]) if pk in editable else None,
            "live_url": reverse("proctoring:live", args=[pk]) if pk in watched and pk in with_policy else None,
        }
        for pk in ids
    }


def attempts_proctored_by(user: Any) -> QuerySet[Attempt]:
    return Attempt.objects.select_related("session", "person__enterprise").filter(
        session__in=sessions_proctored_by(user)
    )


def identity_checks_proctored_by(user: Any) -> QuerySet[IdentityCheck]:
    return IdentityCheck.objects.select_related("person__enterprise", "session").filter(
        session__in=sessions_proctored_by(user)
    )


def snapshots_viewable_by(user: Any) -> QuerySet[Snapshot]:
    return Snapshot.objects.select_related("attempt__person").filter(attempt__in=attempts_proctored_by(user))


def enrolments_viewable_by(user: Any) -> QuerySet[FaceEnrolment]:
    """Reference photos: platform admins, and proctors of a session the person is admitted to or sat."""
    qs = FaceEnrolment.objects.select_related("person")
    return visible_rows(
        qs,
        user,
        lambda: subtree_q(jurisdiction_paths_of(user, {Role.PROCTOR}), "person__enterprise__jurisdiction__path"),
    )


def attempt_of_examinee(user: Any, attempt_id: int) -> Attempt | None:
    """The user's own exam attempt, or None (another person's, a spot test, or missing).

    One query, with the session, its proctoring policy and the attempt's monitor
    joined in: a class of examinees (re)connects its sockets at once.
    """
    if not is_signed_in(user):
        return None
    return (
        Attempt.objects.select_related("session", "session__proctoring_policy", "monitor")
        .filter(pk=attempt_id, person__user_id=user.pk, session__kind=ExamSession.Kind.EXAM)
        .defer("payload")
        .first()
    )


def joined_policy(attempt: Attempt) -> ProctoringPolicy | None:
    """The policy of an attempt read by ``attempt_of_examinee`` (None when the session has none)."""
    try:
        return attempt.session.proctoring_policy
    except ProctoringPolicy.DoesNotExist:
        return None


def policy_for(session: ExamSession | int) -> ProctoringPolicy | None:
    session_id = session if isinstance(session, int) else session.pk
    return ProctoringPolicy.objects.filter(session_id=session_id).first()


def active_consent(person: Person) -> FaceConsent | None:
    """The person's consent to face processing, if they gave it for the current text.

    Separate consent (PIPL art. 29) is to the text the person read: a consent
    still standing for an older ``PROCTORING_CONSENT_VERSION`` does not count
    (``consent_state`` tells the two apart, for the "the text has changed" notice).
    """
    return FaceConsent.objects.filter(
        person=person, withdrawn_at__isnull=True, text_version=settings.PROCTORING_CONSENT_VERSION
    ).first()


@dataclass
class ConsentState:
    state: str  # current | outdated | none
    consent: FaceConsent | None  # the standing (not withdrawn) consent, whatever its text version

    @property
    def outdated(self) -> bool:
        return self.state == "outdated"


def consent_state(person: Person) -> ConsentState:
    consent = FaceConsent.objects.filter(person=person, withdrawn_at__isnull=True).first()
    if consent is None:
        return ConsentState("none", None)
    return ConsentState(
        "current" if consent.text_version == settings.PROCTORING_CONSENT_VERSION else "outdated", consent
    )


def enrolment_of(person: Person) -> FaceEnrolment | None:
    """The reference face that face processing may use: only while the person consents to the current text.

    After a change of the consent text the enrolment is kept (``enrolment_record``)
    but not used (identity checks refuse, snapshots fail with ``no_reference``)
    until the person agrees to the new text; then it is used again as it is.
    """
    return FaceEnrolment.objects.filter(
        person=person,
        person__face_consents__withdrawn_at__isnull=True,
        person__face_consents__text_version=settings.PROCTORING_CONSENT_VERSION,
    ).first()


def enrolment_record(person: Person) -> FaceEnrolment | None:
    """The person's enrolment as stored, usable or not (for pages that say what is on file)."""
    return FaceEnrolment.objects.filter(person=person).first()


@dataclass
class IdentityStatus:
    state: str  # passed | pending_manual | rejected | needs_check | not_required
    tries_left: int
    checks: list[IdentityCheck]

    @property
    def passed(self) -> bool:
        return self.state in ("passed", "not_required")


def identity_status(session: ExamSession, person: Person, policy: ProctoringPolicy | None = None) -> IdentityStatus:
    policy = policy if policy is not None else policy_for(session)
    checks = list(IdentityCheck.objects.filter(session=session, person=person).order_by("created_at", "pk"))
    if policy is None or not policy.require_identity_check:
        return IdentityStatus("not_required", 0, checks)
    if any(c.result == IdentityCheck.Result.PASSED for c in checks):
        return IdentityStatus("passed", 0, checks)
    if any(c.kind == IdentityCheck.Kind.MANUAL and c.result == IdentityCheck.Result.PENDING for c in checks):
        return IdentityStatus("pending_manual", 0, checks)
    if any(c.kind == IdentityCheck.Kind.MANUAL and c.result == IdentityCheck.Result.FAILED for c in checks):
        return IdentityStatus("rejected", 0, checks)
    failed = sum(1 for c in checks if c.kind == IdentityCheck.Kind.FACE and c.result == IdentityCheck.Result.FAILED)
    return IdentityStatus("needs_check", max(policy.identity_max_tries - failed, 0), checks)


def identity_waiting_for(user: Any, session_id: int) -> tuple[ExamSession, Person] | None:
    """(session, person) when ``user`` is a person admitted to exam session ``session_id``: the identity-check
    page and its socket. None for anyone else (another person's session, a spot test, not signed in)."""
    from exams.selectors import session_admits

    person = person_of(user) if is_signed_in(user) else None
    session = ExamSession.objects.filter(pk=session_id, kind=ExamSession.Kind.EXAM).first() if person else None
    if person is None or session is None or not session_admits(session, person):
        return None
    return session, person


def identity_state_message(session: ExamSession, status: IdentityStatus) -> dict[str, Any]:
    """What the examinee's identity-check page hears: on its socket (on connect and when a proctor decides)
    and as the page's JSON answer, the fallback when the socket is down. ``reason`` is the proctor's
    refusal reason, ``next`` where the page goes once the identity is confirmed (the exam notice)."""
    reason = ""
    if status.state == "rejected":
        refused = [
            c for c in status.checks if c.kind == IdentityCheck.Kind.MANUAL and c.result == IdentityCheck.Result.FAILED
        ]
        reason = refused[-1].note if refused and refused[-1].decided_by_id else ""
    return {
        "type": "identity",
        "state": status.state,
        "reason": reason,
        "next": reverse("exams:notice", args=[session.pk]),
    }


def snapshots_required_q() -> Q:
    """Attempts (``Attempt`` querysets) whose examinee must send snapshots: decided when the paper was delivered.

    The camera runs for an examinee who passed the identity check by face for
    the session, or who had a face enrolled when the paper was delivered
    (``started_at``). Withdrawing consent later does not change it: the face
    check's row survives the biometric purge (only its photo goes), and an
    attempt whose examinee withdrew mid-exam keeps its ``consent_withdrawn`` flag.
    An examinee on the manual ID-check path who never enrolled sends none.
    """
    face_passed = IdentityCheck.objects.filter(
        session_id=OuterRef("session_id"),
        person_id=OuterRef("person_id"),
        kind=IdentityCheck.Kind.FACE,
        result=IdentityCheck.Result.PASSED,
    )
    enrolled_at_delivery = FaceEnrolment.objects.filter(
        person_id=OuterRef("person_id"), created_at__lte=OuterRef("started_at")
    )
    withdrew = Flag.objects.filter(attempt_id=OuterRef("pk"), kind=Flag.Kind.CONSENT_WITHDRAWN)
    return Q(Exists(face_passed)) | Q(Exists(enrolled_at_delivery)) | Q(Exists(withdrew))


def snapshots_required(attempt: Attempt) -> bool:
    return Attempt.objects.filter(pk=attempt.pk).filter(snapshots_required_q()).exists()


# --- live grid --------------------------------------------------------------------------


def snapshot_url(snapshot_id: int | None) -> str | None:
    return reverse("proctoring:snapshot_image", args=[snapshot_id]) if snapshot_id else None


def attempt_row(attempt: Attempt, monitor: AttemptMonitor | None) -> dict[str, Any]:
    """One examinee in the proctor's grid; the same shape the websocket sends on updates."""
    last = monitor.last_snapshot if monitor and monitor.last_snapshot_id else None
    return {
        "attempt": attempt.pk,
        "name": attempt.person.name,
        "status": attempt.status,
        "online": bool(monitor and monitor.online),
        "events": monitor.event_count if monitor else 0,
        "tab_switches": monitor.tab_switches if monitor else 0,
        "warnings": monitor.warnings if monitor else 0,
        "flags": monitor.flag_count if monitor else 0,
        "snapshots": monitor.snapshot_count if monitor else 0,
        "face": (last.outcome or last.status) if last else "",
        "distance": round(last.distance, 3) if last and last.distance is not None else None,
        "thumbnail": snapshot_url(last.pk) if last and last.photo_path else None,
        # No snapshot for longer than the policy allows (services.snapshot_gaps_check), until the next one.
        "snapshots_missing": bool(
            monitor and monitor.snapshot_gap_since is not None and attempt.status == Attempt.Status.IN_PROGRESS
        ),
        "storage_full": bool(monitor and monitor.snapshot_storage_full_at is not None),
        # Consent to face processing withdrawn while the attempt ran (services.consent_withdraw).
        "consent_withdrawn": bool(getattr(attempt, "consent_withdrawn", False)),
    }


def dashboard_rows(session: ExamSession) -> list[dict[str, Any]]:
    attempts = list(
        Attempt.objects.filter(session=session)
        .exclude(status=Attempt.Status.PREPARED)
        .select_related("person", "monitor__last_snapshot")
        .annotate(
            consent_withdrawn=Exists(Flag.objects.filter(attempt_id=OuterRef("pk"), kind=Flag.Kind.CONSENT_WITHDRAWN))
        )
        .defer("payload")
        .order_by("person__name", "seq")
    )
    rows = []
    for attempt in attempts:
        try:
            monitor = attempt.monitor
        except AttemptMonitor.DoesNotExist:
            monitor = None
        rows.append(attempt_row(attempt, monitor))
    return rows


def live_grid_summary(session: ExamSession) -> dict[str, Any]:
    """What the live grid shows before its socket answers: whether anyone has started, and how many may sit."""
    from exams.selectors import session_population

    return {
        "started": Attempt.objects.filter(session=session).exclude(status=Attempt.Status.PREPARED).exists(),
        "expected": session_population(session).count(),
    }


@dataclass
class ManualCheckFile:
    """What a proctor compares on a manual ID check: the person, the reference photo, the automatic tries."""

    check: IdentityCheck
    masked_id: str
    reference: FaceEnrolment | None  # usable (current consent) and with its photo kept
    tries: list[IdentityCheck]  # the face tries at this session, newest first

    @property
    def live_photo(self) -> IdentityCheck | None:
        """The newest try whose photo is kept (a failed liveness check keeps none)."""
        return next((t for t in self.tries if t.photo_path), None)


def manual_check_reference(check: IdentityCheck) -> FaceEnrolment | None:
    """The reference photo shown on a manual check: only while the person consents to face processing."""
    enrolment = enrolment_of(check.person)
    return enrolment if enrolment is not None and enrolment.photo_path else None


def manual_check_file(check: IdentityCheck) -> ManualCheckFile:
    """For a check read through ``manual_checks_proctored_by`` (the caller scopes)."""
    tries = IdentityCheck.objects.filter(
        session_id=check.session_id, person_id=check.person_id, kind=IdentityCheck.Kind.FACE
    ).order_by("-created_at", "-pk")
    return ManualCheckFile(
        check=check,
        masked_id=mask_id_number(check.person.id_number) if check.person.id_number else "",
        reference=manual_check_reference(check),
        tries=list(tries),
    )


def manual_checks_proctored_by(user: Any) -> QuerySet[IdentityCheck]:
    return identity_checks_proctored_by(user).filter(kind=IdentityCheck.Kind.MANUAL)


def pending_identity_checks(session: ExamSession) -> QuerySet[IdentityCheck]:
    return IdentityCheck.objects.filter(
        session=session, kind=IdentityCheck.Kind.MANUAL, result=IdentityCheck.Result.PENDING
    ).select_related("person")


# --- review -----------------------------------------------------------------------------


def review_queue(user: Any) -> QuerySet[Attempt]:
    """Finished flagged attempts without a decision, oldest first (a running attempt is watched live)."""
    return (
        attempts_proctored_by(user)
        .filter(status__in=[Attempt.Status.SUBMITTED, Attempt.Status.INVALIDATED])
        .filter(Exists(Flag.objects.filter(attempt=OuterRef("pk"))))
        .exclude(Exists(ReviewDecision.objects.filter(attempt=OuterRef("pk"))))
        .defer("payload")
        .order_by("created_at")
    )


def reviewed(user: Any) -> QuerySet[ReviewDecision]:
    """The current decision of each decided attempt (revised rows are history, see ``decision_history``)."""
    return ReviewDecision.objects.filter(
        attempt__in=attempts_proctored_by(user), revised_by__isnull=True
    ).select_related("attempt__person", "attempt__session", "decided_by")


def current_decision(attempt: Attempt) -> ReviewDecision | None:
    """The decision in force: the one no later row revises."""
    return ReviewDecision.objects.filter(attempt=attempt, revised_by__isnull=True).select_related("decided_by").first()


def decision_history(attempt: Attempt) -> list[ReviewDecision]:
    """Every decision on the attempt, newest (the current one) first: each row revises the one below it."""
    return list(ReviewDecision.objects.filter(attempt=attempt).select_related("decided_by").order_by("-pk"))


def timeline(attempt: Attempt) -> list[dict[str, Any]]:
    """Snapshots (with distances), events, messages, flags, identity and liveness checks and the submit, in time order."""
    items: list[dict[str, Any]] = []
    for s in Snapshot.objects.filter(attempt=attempt):
        items.append(
            {"at": s.received_at, "kind": "snapshot", "obj": s, "url": snapshot_url(s.pk) if s.photo_path else None}
        )
    for e in BrowserEvent.objects.filter(attempt=attempt):
        items.append({"at": e.received_at, "kind": "event", "obj": e})
    for m in ProctorMessage.objects.filter(attempt=attempt).select_related("sent_by"):
        items.append({"at": m.sent_at, "kind": "message", "obj": m})
    for f in Flag.objects.filter(attempt=attempt):
        items.append({"at": f.created_at, "kind": "flag", "obj": f})
    for c in IdentityCheck.objects.filter(session_id=attempt.session_id, person_id=attempt.person_id):
        url = reverse("proctoring:identity_image", args=[c.pk]) if c.photo_path else None
        items.append({"at": c.created_at, "kind": "identity", "obj": c, "url": url})
    for check in LivenessCheck.objects.filter(session_id=attempt.session_id, person_id=attempt.person_id):
        frames = len(storage.list_folder(check.frames_path)) if check.status == LivenessCheck.Status.FAILED else 0
        urls = [reverse("proctoring:liveness_frame", args=[check.pk, index]) for index in range(frames)]
        items.append({"at": check.created_at, "kind": "liveness", "obj": check, "urls": urls})
    if attempt.submitted_at is not None:
        # Who or what ended it: the examinee, the clock, a proctor, or the policy by itself.
        items.append({"at": attempt.submitted_at, "kind": "submitted", "obj": attempt})
    items.sort(key=lambda item: (item["at"], item["kind"]))
    return items


def own_attempt_q(user: Any) -> Q:
    person = person_of(user)
    return Q(person_id=person.pk) if person else Q(pk__in=[])


# A passed liveness check (purpose identity) lets the face check through for this long.
LIVENESS_VALID_FOR = dt.timedelta(minutes=5)


def recent_identity_liveness(session: ExamSession, person: Person, now: dt.datetime) -> LivenessCheck | None:
    """The latest liveness check of purpose identity that (session, person) passed within ``LIVENESS_VALID_FOR``."""
    return (
        LivenessCheck.objects.filter(
            session=session,
            person=person,
            purpose=LivenessCheck.Purpose.IDENTITY,
            status=LivenessCheck.Status.PASSED,
            decided_at__gte=now - LIVENESS_VALID_FOR,
        )
        .order_by("-decided_at", "-pk")
        .first()
    )


def liveness_checks_proctored_by(user: Any) -> QuerySet[LivenessCheck]:
    return LivenessCheck.objects.select_related("person", "session").filter(session__in=sessions_proctored_by(user))


# --- 一人一档 (proctoring/person_file.py) ------------------------------------------------


def identity_checks_visible_to(user: Any) -> QuerySet[IdentityCheck]:
    """Identity checks whose outcome (never the photo) this user may read: those of the sessions
    they proctor, and those of the people whose exam results they may read (as attempts)."""
    qs = IdentityCheck.objects.select_related("session", "person")
    if not is_signed_in(user):
        return qs.none()
    if is_platform_admin(user):
        return qs
    readers = results_readers_q(
        user,
        Q(session__in=sessions_proctored_by(user)),
        person="person",
        provider="session__provider",
        enterprise="person__enterprise",
    )
    return qs.filter(readers)


def review_decisions_visible_to(user: Any) -> QuerySet[ReviewDecision]:
    """Review decisions (every row of each chain) on the attempts this user may read or proctors."""
    readable = Q(attempt__in=attempts_visible_to(user).values("pk"))
    proctored = Q(attempt__in=attempts_proctored_by(user).values("pk"))
    return ReviewDecision.objects.select_related("attempt__session").filter(readable | proctored)
