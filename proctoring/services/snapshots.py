"""In-exam snapshots: receiving frames, matching them in the background and flagging missing ones."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import background
from exams.models import Attempt
from proctoring import broadcast, storage, vision
from proctoring.models import AttemptMonitor, FaceConsent, FaceOutcome, Flag, ProctoringPolicy, ProctorMessage, Snapshot
from proctoring.selectors import enrolment_of, policy_for, snapshot_url, snapshots_required_q
from proctoring.services.errors import (
    AttemptFinished,
    BadImage,
    ConsentRequired,
    ProctoringError,
    SnapshotStorageFull,
    SnapshotTooSoon,
    check_image_size,
    image_reason_text,
)
from proctoring.services.events import monitor_auto_submit, monitor_flag, monitor_for
from proctoring.services.identity import face_reference

logger = logging.getLogger(__name__)


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
    data = check_image_size(data, settings.PROCTORING_SNAPSHOT_MAX_BYTES)
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
    interval = _snapshot_interval(policy)
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


def _snapshot_interval(policy: ProctoringPolicy | None) -> dt.timedelta:
    return dt.timedelta(seconds=policy.snapshot_min_seconds if policy else _DEFAULT_SNAPSHOT_MIN_SECONDS)


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
    retry_after = _seconds_until_slot(row["snapshot_tat"], interval, now)
    return SnapshotTooSoon(
        _("Snapshots are sent too often: at most one every %(n)d seconds. Try again in %(s)d seconds.")
        % {"n": int(interval.total_seconds()), "s": retry_after},
        retry_after=retry_after,
    )


def _seconds_until_slot(tat: dt.datetime | None, interval: dt.timedelta, now: dt.datetime) -> int:
    """Whole seconds (at least 1) until ``_snapshot_slot_take`` accepts a frame, given the monitor's ``snapshot_tat``."""
    wait = (tat - interval * settings.PROCTORING_SNAPSHOT_BURST - now).total_seconds() if tat else 0
    return max(1, math.ceil(wait))


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
                submitted = monitor_auto_submit(attempt_id, session_id, text, monitor, now)
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


@dataclass(frozen=True)
class FaceDecision:
    failures_in_row: int
    flag: bool  # this check completes the run the policy flags
    submit: bool  # the run reached the policy's automatic submit (if the attempt is still running)
    uncertain: int = 0  # uncertain checks of the attempt so far, this one included
    flag_uncertain: bool = False  # the attempt's first uncertain check: a person reviews the attempt
    retry: bool = False  # ask the examinee's client for another frame soon


def decide_face_policy(
    *,
    outcome: str,
    failures_before: int,
    flag_after: int | None,
    submit_after: int | None,
    uncertain_before: int = 0,
) -> FaceDecision:
    """The face policy for one processed snapshot, with no database.

    Mismatch, no face and several faces all break the run of good checks; a
    match ends the run. The flag is raised once, when the run reaches
    ``flag_after``; the attempt is submitted from ``submit_after`` on (0 or
    None: never). ``None`` thresholds: the session has no policy.

    An uncertain check (between the two thresholds) is neither: the run stays
    as it was (so it can never bring an automatic submit closer), the
    attempt's uncertain checks are counted apart, the first one flags the
    attempt for review, and the client is asked for another frame soon.
    """
    if outcome == FaceOutcome.UNCERTAIN:
        uncertain = uncertain_before + 1
        return FaceDecision(
            failures_in_row=failures_before,
            flag=False,
            submit=False,
            uncertain=uncertain,
            flag_uncertain=flag_after is not None and uncertain == 1,
            retry=True,
        )
    failures = 0 if outcome == FaceOutcome.MATCH else failures_before + 1
    return FaceDecision(
        failures_in_row=failures,
        flag=flag_after is not None and failures == flag_after,
        submit=submit_after is not None and submit_after != 0 and failures >= submit_after,
        uncertain=uncertain_before,
    )


def _retry_in(monitor: AttemptMonitor, policy: ProctoringPolicy | None, now: dt.datetime) -> int:
    """Seconds until the rate limiter of ``snapshot_receive`` takes the next frame (at least 1)."""
    return _seconds_until_slot(monitor.snapshot_tat, _snapshot_interval(policy), now)


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
    try:
        check = vision.check_frame(
            data,
            face_reference(enrolment),
            match_threshold=policy.match_threshold if policy else vision.DEFAULT_MATCH_THRESHOLD,
            mismatch_threshold=policy.mismatch_threshold if policy else vision.DEFAULT_MISMATCH_THRESHOLD,
            max_bytes=settings.PROCTORING_SNAPSHOT_MAX_BYTES,
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
            face_count=check.face_count,
            **check.scores(),
            processed_at=now,
        )
        if changed != 1:
            return Snapshot.objects.get(pk=snapshot.pk)
        monitor_for(attempt.pk)
        monitor = AttemptMonitor.objects.select_for_update().get(attempt_id=attempt.pk)
        decision = decide_face_policy(
            outcome=outcome,
            failures_before=monitor.face_failures_in_row,
            flag_after=policy.face_flag_after if policy is not None else None,
            submit_after=policy.face_submit_after if policy is not None else None,
            uncertain_before=monitor.face_uncertain,
        )
        monitor.face_failures_in_row = failures = decision.failures_in_row
        monitor.face_uncertain = decision.uncertain
        monitor.last_snapshot_id = snapshot.pk
        submitted = False
        if decision.flag:
            monitor_flag(
                monitor,
                attempt.pk,
                Flag.Kind.FACE,
                _("%(n)d face checks in a row failed (last: %(outcome)s)")
                % {"n": failures, "outcome": FaceOutcome(outcome).label},
                now,
            )
        if decision.flag_uncertain:
            monitor_flag(
                monitor,
                attempt.pk,
                Flag.Kind.FACE_UNCERTAIN,
                _("A face check was uncertain (distance %(distance).2f): another frame was asked for.")
                % {"distance": check.distance},
                now,
            )
        if decision.submit and Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).exists():
            text = _("The exam was submitted automatically: the face check failed %(n)d times in a row.") % {
                "n": failures
            }
            submitted = monitor_auto_submit(attempt.pk, attempt.session_id, text, monitor, now)
        monitor.save(update_fields=["face_failures_in_row", "face_uncertain", "last_snapshot", "flag_count"])
        # Uncertain: another frame soon (the client's scheduler honours retry_in; the rate limit still applies).
        retry = {"retry_in": _retry_in(monitor, policy, now)} if decision.retry and not submitted else {}
        broadcast.to_examinee(
            attempt.pk,
            {
                "type": "face",
                "outcome": outcome,
                "prompt": outcome in (FaceOutcome.NO_FACE, FaceOutcome.UNCERTAIN),
                "submitted": submitted,
                **retry,
            },
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
