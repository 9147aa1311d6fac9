"""In-exam browser events: the monitor of an attempt, tab switches and the tab policy's warnings and automatic submit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import update_rows
from exams.models import Attempt
from exams.services.attempts import attempt_submit
from proctoring import broadcast
from proctoring.models import AttemptMonitor, BrowserEvent, Flag, ProctoringPolicy, ProctorMessage
from proctoring.selectors import policy_for
from proctoring.services.errors import AttemptFinished, BadEvent, OutOfSequence, ProctoringError


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


def monitor_flag(monitor: AttemptMonitor, attempt_id: int, kind: str, detail: str, now: dt.datetime) -> None:
    Flag.objects.create(attempt_id=attempt_id, kind=kind, detail=detail[:255], created_at=now)
    monitor.flag_count += 1


def monitor_auto_submit(attempt_id: int, session_id: int, text: str, monitor: AttemptMonitor, now: dt.datetime) -> bool:
    submitted = attempt_submit(
        attempt=Attempt(pk=attempt_id), reason=Attempt.SubmitReason.AUTO_POLICY, now=now
    ).graded_now
    if not submitted:
        # Someone (the examinee, the deadline job, a proctor) submitted it first: their reason stands.
        return False
    ProctorMessage.objects.create(attempt_id=attempt_id, kind=ProctorMessage.Kind.POLICY, text=text[:500], sent_at=now)
    monitor_flag(monitor, attempt_id, Flag.Kind.AUTO_SUBMITTED, text, now)
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
        result.submitted = monitor_auto_submit(attempt_id, session_id, text, monitor, now)
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
            monitor_flag(monitor, attempt_id, Flag.Kind.TAB_SWITCHES, _("%(n)d tab switches") % {"n": n}, now)
        result.notices.append({"type": "warning", "text": text, "tab_switches": n, "limit": policy.tab_submit_at})
