"""Demo proctoring for seed_demo: the demo learner enrolled (with consent), a policy on the open
demo exam, and one flagged past attempt waiting in the review queue. Idempotent.

The demo learner walks the exam notice (考试须知) → the identity check → the
exam: no paper is drawn before the check passes (proctoring.gates). The
reference face is scikit-image's astronaut (a runtime requirement for this):
in a browser with a real camera, re-enrol your own face on "Face verification"
before the identity check, or ask for the manual ID check and approve it as
demo_proctor on the session's live page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from demo import faces
from exams.models import Attempt, ExamSession
from organizations.models import Person
from proctoring import storage
from proctoring.models import AttemptMonitor, BrowserEvent, FaceEnrolment, FaceOutcome, Flag, ProctorMessage, Snapshot
from proctoring.selectors import policy_for
from proctoring.services.actions import policy_set
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol

OPEN_POLICY = {
    "snapshot_min_seconds": 20,
    "snapshot_max_seconds": 60,
    "tab_warn_at": 1,
    "tab_submit_at": 3,
    "tab_ignore_seconds": 2,
    "face_flag_after": 3,
    "phone_aware": True,
    "identity_max_tries": 3,
}


def seed(*, learner: Person, open_title: str, past_title: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    consent_give(person=learner, by=learner.user)
    if not FaceEnrolment.objects.filter(person=learner).exists():
        enrol(person=learner, photo=faces.astronaut_jpeg(), source=FaceEnrolment.Source.LIVE, by=learner.user)
    result["enrolment"] = FaceEnrolment.objects.get(person=learner)

    open_session = ExamSession.objects.filter(title=open_title).first()
    if open_session is not None and policy_for(open_session) is None:
        policy_set(session=open_session, **OPEN_POLICY)
    result["open_policy"] = policy_for(open_session) if open_session else None

    past = ExamSession.objects.filter(title=past_title).first()
    if past is None:
        return result
    if policy_for(past) is None:
        policy_set(session=past, **OPEN_POLICY)
    attempt = (
        Attempt.objects.filter(session=past, status=Attempt.Status.SUBMITTED)
        .filter(~Q(person__user__username="demo_principal"))
        .order_by("pk")
        .first()
    )
    if attempt is None or Flag.objects.filter(attempt=attempt).exists():
        result["flagged"] = attempt
        return result
    _flagged_history(attempt)
    result["flagged"] = attempt
    return result


def _flagged_history(attempt: Attempt) -> None:
    """A plausible record: tab switches, warnings, and three snapshots in a row without a face."""
    start = attempt.started_at or attempt.created_at
    monitor, _created = AttemptMonitor.objects.get_or_create(attempt=attempt)
    seq = 0
    switches = 0
    for minute, duration in ((4, 12_000), (9, 31_000), (15, 6_000)):
        at = start + dt.timedelta(minutes=minute)
        for event, ms in (("hidden", None), ("visible", duration)):
            seq += 1
            counted = event == "visible"
            switches += int(counted)
            BrowserEvent.objects.create(
                attempt=attempt,
                client_seq=seq,
                type=event,
                duration_ms=ms,
                counted=counted,
                client_at=at,
                received_at=at + dt.timedelta(milliseconds=ms or 0),
            )
        ProctorMessage.objects.create(
            attempt=attempt,
            kind=ProctorMessage.Kind.POLICY,
            text=f"您已离开考试页面 {switches} 次。达到 3 次将自动交卷。",
            sent_at=at + dt.timedelta(milliseconds=duration),
        )
    Flag.objects.create(
        attempt=attempt, kind=Flag.Kind.TAB_SWITCHES, detail="1 次切屏", created_at=start + dt.timedelta(minutes=4)
    )
    photo = faces.blank_jpeg()
    last = None
    for minute in (17, 18, 19):
        last = Snapshot.objects.create(
            attempt=attempt,
            received_at=start + dt.timedelta(minutes=minute),
            size_bytes=len(photo),
            status=Snapshot.Status.PROCESSED,
            outcome=FaceOutcome.NO_FACE,
            face_count=0,
            threshold=0.6,
            processed_at=start + dt.timedelta(minutes=minute, seconds=1),
            photo_path=storage.save("snapshots", attempt.pk, photo),
        )
    Flag.objects.create(
        attempt=attempt,
        kind=Flag.Kind.FACE,
        detail="连续 3 次未检测到人脸",
        created_at=start + dt.timedelta(minutes=19),
    )
    AttemptMonitor.objects.filter(pk=monitor.pk).update(
        last_seq=seq,
        event_count=seq,
        tab_switches=switches,
        warnings=switches,
        face_failures_in_row=3,
        snapshot_count=3,
        last_snapshot=last,
        flag_count=2,
    )
