"""Studying and its credit: the study lease, heartbeats (credit-hour ledger), presence checks and lesson quizzes."""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import registries
from organizations.models import Person
from training import heartbeat_checks, selectors
from training.models import Assignment, CreditLedger, Lesson, PlanTemplate, Progress, QuizAttempt
from training.services.assignments import assignments_refresh
from training.services.errors import LeaseHeld, LessonNotAssigned, QuizUnavailable

logger = logging.getLogger(__name__)
# Follow-up event run inside quiz_attempt_submit's transaction when an attempt passes (core.registries).
QUIZ_PASSED = "training.quiz_passed"


def _lease_key(user_id: int) -> str:
    return f"training:lease:{user_id}"


def _lease_set(key: str, holder: str) -> None:
    # The value carries its own expiry so that a heartbeat renews the lease
    # only when half of it has run out, not with a cache write every time.
    ttl = settings.TRAINING_LEASE_SECONDS
    cache.set(key, f"{holder}:{int(time.time()) + ttl}", ttl)


@dataclass(frozen=True)
class Attribution:
    """Whose training a credited span is, and of which kind (the ledger's ``enterprise`` and ``purpose``)."""

    post: str
    enterprise_id: int | None
    purpose: str


# The purpose of an assignment, by its plan's kind or else its source.
_PURPOSE_OF_PLAN_KIND = {
    PlanTemplate.Kind.ONBOARDING: CreditLedger.Purpose.ONBOARDING,
    PlanTemplate.Kind.ANNUAL: CreditLedger.Purpose.ANNUAL,
}
_PURPOSE_OF_SOURCE = {
    Assignment.Source.ONBOARDING: CreditLedger.Purpose.ONBOARDING,
    Assignment.Source.ANNUAL: CreditLedger.Purpose.ANNUAL,
}
_PURPOSE_RANK = {CreditLedger.Purpose.ONBOARDING: 0, CreditLedger.Purpose.ANNUAL: 1, CreditLedger.Purpose.OTHER: 2}


def credit_attribution(*, user: User, lesson: Lesson) -> Attribution:
    """The assignment a lesson is studied under decides the credit's purpose and enterprise.

    Among the learner's assignments whose course, or whose plan's courses,
    include the lesson's course, open ones before completed ones, onboarding is
    preferred, then annual retraining, then anything else. The enterprise is
    the plan's; for an assignment of a single course, the learner's current
    enterprise. Two queries; called once per lesson start, never per heartbeat.
    """
    person = Person.objects.filter(user=user).values("post", "enterprise_id").first()
    post = person["post"] if person else "public"
    enterprise_id = person["enterprise_id"] if person else None
    course_id = Lesson.objects.filter(pk=lesson.pk).values_list("chapter__course_id", flat=True).first()
    candidates = (
        Assignment.objects.filter(
            learner=user,
            status__in=(Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS, Assignment.Status.COMPLETED),
        )
        .filter(Q(course_id=course_id) | Q(plan__plan_courses__course_id=course_id))
        .values("status", "source", "plan__kind", "plan__enterprise_id", "pk")
        .distinct()
    )
    best: tuple[tuple[int, int, int], Attribution] | None = None
    for row in candidates:
        purpose = _PURPOSE_OF_PLAN_KIND.get(row["plan__kind"]) or _PURPOSE_OF_SOURCE.get(
            row["source"], CreditLedger.Purpose.OTHER
        )
        rank = (int(row["status"] == Assignment.Status.COMPLETED), _PURPOSE_RANK[purpose], row["pk"])
        if best is None or rank < best[0]:
            best = (rank, Attribution(post, row["plan__enterprise_id"] or enterprise_id, purpose))
    return best[1] if best else Attribution(post, enterprise_id, CreditLedger.Purpose.OTHER)


def _lease_value(lesson_id: int, token: str, attribution: Attribution) -> str:
    return f"{lesson_id}:{token}:{attribution.post}:{attribution.enterprise_id or ''}:{attribution.purpose}"


def _lease_parse(parts: list[str]) -> tuple[Attribution, int, int]:
    """The attribution a lease carries, its expiry and how many leading parts are the value (without the expiry).

    ``lesson:token:post:enterprise:purpose:expires``; a lease written before the
    ledger had an enterprise is ``lesson:token:post:expires``."""
    if len(parts) >= 6:
        enterprise = int(parts[3]) if parts[3].isdigit() else None
        expires = int(parts[5]) if parts[5].isdigit() else 0
        return Attribution(parts[2], enterprise, parts[4] or CreditLedger.Purpose.OTHER), expires, 5
    post = parts[2] if len(parts) > 2 else ""
    expires = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
    return Attribution(post, None, CreditLedger.Purpose.OTHER), expires, 3


@dataclass
class StartResult:
    token: str
    position: int
    furthest: int
    credited_seconds: int
    heartbeat_seconds: int
    idle_lock_seconds: int
    max_playback_rate: float


def lesson_start(*, user: User, lesson: Lesson, takeover: bool = False, now: dt.datetime | None = None) -> StartResult:
    """Open a lesson: check it is assigned, take the one-lesson-at-a-time lease
    and create the progress row the heartbeat will update.

    Raises LessonNotAssigned, or LeaseHeld unless ``takeover``: the other
    window's heartbeats are then refused."""
    if not selectors.lesson_is_assigned(user=user, lesson=lesson):
        logger.info("training start refused user=%s lesson=%s reason=not_assigned", user.pk, lesson.pk)
        raise LessonNotAssigned
    now = now or timezone.now()
    key = _lease_key(user.pk)
    held = cache.get(key)
    if held and not takeover:
        logger.info("training start refused user=%s lesson=%s reason=another_session", user.pk, lesson.pk)
        raise LeaseHeld
    token = secrets.token_urlsafe(12)
    _lease_set(key, _lease_value(lesson.pk, token, credit_attribution(user=user, lesson=lesson)))
    progress, created = Progress.objects.get_or_create(learner=user, lesson=lesson)
    # A fresh window starts a fresh span: time before this start is never credited.
    Progress.objects.filter(pk=progress.pk).update(last_heartbeat_at=None, last_presence_at=now)
    if created:
        assignments_refresh(learner=user)
    return StartResult(
        token=token,
        position=progress.position,
        furthest=progress.furthest,
        credited_seconds=progress.credited_seconds,
        heartbeat_seconds=settings.TRAINING_HEARTBEAT_SECONDS,
        idle_lock_seconds=settings.TRAINING_IDLE_LOCK_SECONDS,
        max_playback_rate=settings.TRAINING_MAX_PLAYBACK_RATE_PERCENT / 100,
    )


def lesson_stop(*, user: User, lesson_id: int, token: str) -> None:
    """Release the lease (page closed), only if this window holds it."""
    key = _lease_key(user.pk)
    held = cache.get(key)
    if held and held.split(":")[:2] == [str(lesson_id), token]:
        cache.delete(key)


@dataclass
class HeartbeatResult:
    accepted: bool
    reason: str = "ok"
    credited: int = 0
    credited_total: int = 0
    position: int = 0
    furthest: int = 0
    locked: bool = False
    completed: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


class Refusal:
    # Reasons a heartbeat credits nothing; they go to the log and the client.
    NOT_ASSIGNED = "not_assigned"
    ANOTHER_SESSION = "another_session"
    REPLAYED = "replayed"
    FUTURE_TIMESTAMP = "future_timestamp"
    TOO_FREQUENT = "too_frequent"
    RATE_TOO_HIGH = "rate_too_high"
    SEEK_AHEAD = "seek_ahead"
    TAMPERED = "tampered_position"
    HIDDEN = "hidden"
    IDLE_LOCKED = "idle_locked"
    PAUSED = "paused"
    FIRST = "started"
    FULL = "lesson_credit_full"
    CONFLICT = "conflict"


_PROGRESS_FIELDS = (
    "id",
    "position",
    "furthest",
    "credited_seconds",
    "client_seq",
    "last_heartbeat_at",
    "last_presence_at",
    "completed_at",
    "quiz_passed",
    "lesson__kind",
    "lesson__credit_minutes",
    "lesson__duration_seconds",
    "lesson__page_count",
    "lesson__quiz_bank_id",
    "lesson__quiz_question_count",
)


def _refuse(user_id: int, lesson_id: int, reason: str, **fields: Any) -> HeartbeatResult:
    logger.info("training heartbeat refused user=%s lesson=%s reason=%s", user_id, lesson_id, reason)
    return HeartbeatResult(accepted=False, reason=reason, **fields)


@dataclass(frozen=True)
class CreditLimits:
    """The heartbeat rules' settings (config/settings.py, ``TRAINING_*``)."""

    clock_skew_seconds: int
    min_interval_seconds: int
    max_gap_seconds: int
    idle_lock_seconds: int
    max_playback_rate_percent: int

    @classmethod
    def from_settings(cls) -> CreditLimits:
        return cls(
            clock_skew_seconds=settings.TRAINING_CLOCK_SKEW_SECONDS,
            min_interval_seconds=settings.TRAINING_HEARTBEAT_MIN_INTERVAL_SECONDS,
            max_gap_seconds=settings.TRAINING_HEARTBEAT_MAX_GAP_SECONDS,
            idle_lock_seconds=settings.TRAINING_IDLE_LOCK_SECONDS,
            max_playback_rate_percent=settings.TRAINING_MAX_PLAYBACK_RATE_PERCENT,
        )


@dataclass(frozen=True)
class CreditDecision:
    """What one heartbeat earns. ``write`` false: a refusal that writes nothing (``reason`` says which)."""

    write: bool
    reason: str = ""  # "" when time is credited
    credit: int = 0  # seconds
    position: int = 0
    presence: dt.datetime | None = None
    locked: bool = False
    gap: float | None = None  # seconds since the previous heartbeat; None for the first


def lesson_end(*, kind: str, duration_seconds: int | None, page_count: int | None) -> int:
    """The last position of a lesson: seconds of a video, pages of a document, 100 (percent) for an article."""
    return {Lesson.Kind.VIDEO: duration_seconds, Lesson.Kind.DOCUMENT: page_count}.get(kind, 100)  # type: ignore[return-value]


def decide_credit(
    *,
    row: dict[str, Any],
    client_seq: int,
    client_time: dt.datetime | None,
    position: int,
    visible: bool,
    playback_rate: float,
    interaction: bool,
    now: dt.datetime,
    limits: CreditLimits,
) -> CreditDecision:
    """The heartbeat rules, with no database: ``row`` is the progress row as read (``_PROGRESS_FIELDS``).

    Credit is the time since the previous heartbeat, capped at
    ``limits.max_gap_seconds`` and at what the lesson still has to credit, and
    only when the position is plausible (no seek past what was watched, no
    playback faster than allowed), the page visible, the learner present (not
    idle-locked) and the video playing.
    """
    if client_seq <= row["client_seq"]:
        return CreditDecision(write=False, reason=Refusal.REPLAYED)
    if client_time is not None and client_time > now + dt.timedelta(seconds=limits.clock_skew_seconds):
        return CreditDecision(write=False, reason=Refusal.FUTURE_TIMESTAMP)
    last = row["last_heartbeat_at"]
    gap = (now - last).total_seconds() if last else None
    if gap is not None and gap < limits.min_interval_seconds:
        # Nothing is written, so a flood of heartbeats cannot slice time finer.
        return CreditDecision(write=False, reason=Refusal.TOO_FREQUENT)

    kind = row["lesson__kind"]
    end = lesson_end(kind=kind, duration_seconds=row["lesson__duration_seconds"], page_count=row["lesson__page_count"])
    max_rate = limits.max_playback_rate_percent / 100
    capped_gap = min(gap or 0.0, limits.max_gap_seconds)
    violation = ""
    paused = False
    new_position = row["position"]
    if position < 0 or position > end + 1:
        violation = Refusal.TAMPERED
    elif playback_rate > max_rate + 1e-6 or playback_rate <= 0:
        violation = Refusal.RATE_TOO_HIGH
    else:
        if kind == Lesson.Kind.VIDEO:
            allowance = capped_gap * max_rate + 2
        elif kind == Lesson.Kind.DOCUMENT:
            allowance = 1  # the next page, never further
        else:
            allowance = end  # reading an article may scroll anywhere
        if position > row["furthest"] + allowance:
            violation = Refusal.SEEK_AHEAD
        else:
            paused = kind == Lesson.Kind.VIDEO and position == row["position"]
            new_position = min(position, end)
    presence = row["last_presence_at"] or now
    locked = now - presence > dt.timedelta(seconds=limits.idle_lock_seconds)
    if not locked and interaction:
        presence = now
    if violation:
        reason = violation
    elif gap is None:
        reason = Refusal.FIRST
    elif locked:
        reason = Refusal.IDLE_LOCKED
    elif not visible:
        reason = Refusal.HIDDEN
    elif paused:
        reason = Refusal.PAUSED
    else:
        reason = ""
    cap = row["lesson__credit_minutes"] * 60
    credit = 0 if reason else int(min(capped_gap, cap - row["credited_seconds"]))
    if not reason and credit <= 0:
        reason = Refusal.FULL
        credit = 0
    return CreditDecision(
        write=True, reason=reason, credit=credit, position=new_position, presence=presence, locked=locked, gap=gap
    )


def completes_lesson(*, row: dict[str, Any], furthest: int, credited_seconds: int) -> bool:
    """Whether a heartbeat that leaves the progress at ``furthest`` and ``credited_seconds`` completes the lesson now.

    Complete: the lesson's credit minutes are all credited, the end was reached
    (the last second of a video, the last page of a document) and its quiz, if
    it has one, passed. A lesson already completed is not completed again.
    """
    kind = row["lesson__kind"]
    end = lesson_end(kind=kind, duration_seconds=row["lesson__duration_seconds"], page_count=row["lesson__page_count"])
    has_quiz = row["lesson__quiz_bank_id"] is not None and row["lesson__quiz_question_count"] > 0
    done_position = furthest >= (end - 1 if kind == Lesson.Kind.VIDEO else end)
    return (
        row["completed_at"] is None
        and credited_seconds >= row["lesson__credit_minutes"] * 60
        and done_position
        and (row["quiz_passed"] or not has_quiz)
    )


def heartbeat_record(
    *,
    user: User,
    lesson: Lesson | int,
    token: str,
    client_seq: int,
    position: int,
    visible: bool,
    playback_rate: float = 1.0,
    client_time: dt.datetime | None = None,
    interaction: bool = False,
    now: dt.datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> HeartbeatResult:
    """Credit the time since the learner's previous heartbeat, if it was
    really spent studying (``decide_credit``). Never raises for bad input: the
    result says why nothing was credited, and the reason is logged (user and
    lesson ids only).
    """
    now = now or timezone.now()
    user_id = user.pk
    lesson_id = lesson if isinstance(lesson, int) else lesson.pk
    lease = cache.get(_lease_key(user_id))
    parts = lease.split(":") if lease else []
    row = Progress.objects.filter(learner_id=user_id, lesson_id=lesson_id).values(*_PROGRESS_FIELDS).first()
    if row is None:
        return _refuse(user_id, lesson_id, Refusal.NOT_ASSIGNED)
    state = {"position": row["position"], "furthest": row["furthest"], "credited_total": row["credited_seconds"]}
    if parts[:2] != [str(lesson_id), token]:
        return _refuse(user_id, lesson_id, Refusal.ANOTHER_SESSION, **state)
    attribution, lease_expires, lease_parts = _lease_parse(parts)
    decision = decide_credit(
        row=row,
        client_seq=client_seq,
        client_time=client_time,
        position=position,
        visible=visible,
        playback_rate=playback_rate,
        interaction=interaction,
        now=now,
        limits=CreditLimits.from_settings(),
    )
    if not decision.write:
        return _refuse(user_id, lesson_id, decision.reason, **state)
    reason, credit, new_position, gap = decision.reason, decision.credit, decision.position, decision.gap
    ctx = heartbeat_checks.HeartbeatContext(
        user_id=user_id,
        lesson_id=lesson_id,
        lesson_kind=row["lesson__kind"],
        position=new_position,
        visible=visible,
        now=now,
        credit_seconds=credit,
        extra=extra or {},
    )
    if credit:
        veto = heartbeat_checks.veto_reason(ctx)
        if veto:
            reason, credit = veto, 0
    new_furthest = max(row["furthest"], new_position)
    new_credited = row["credited_seconds"] + credit
    newly_completed = completes_lesson(row=row, furthest=new_furthest, credited_seconds=new_credited)
    fields = {
        "position": new_position,
        "furthest": new_furthest,
        "credited_seconds": new_credited,
        "client_seq": client_seq,
        "last_heartbeat_at": now,
        "last_presence_at": decision.presence,
    }
    entry = None
    if credit:
        entry = ledger_entry(
            learner_id=user_id,
            lesson_id=lesson_id,
            seconds=credit,
            ended_at=now,
            method=CreditLedger.Method.HEARTBEAT,
            detail=f"seq={client_seq} gap={gap:.0f}s rate={playback_rate:g} pos={new_position}",
            attribution=attribution,
        )
    if newly_completed:
        fields["completed_at"] = now
    if not _progress_update_and_log(row["id"], row["client_seq"], fields, entry):
        # Another request for the same row won the race: it credited, this one doesn't.
        return _refuse(user_id, lesson_id, Refusal.CONFLICT, **state)
    if lease_expires - time.time() < settings.TRAINING_LEASE_SECONDS / 2:
        _lease_set(_lease_key(user_id), ":".join(parts[:lease_parts]))
    if newly_completed:
        assignments_refresh(learner=user)
    if reason and reason not in (Refusal.FIRST, Refusal.PAUSED, Refusal.FULL):
        logger.info("training heartbeat credited nothing user=%s lesson=%s reason=%s", user_id, lesson_id, reason)
    return HeartbeatResult(
        accepted=True,
        reason=reason or "ok",
        credited=credit,
        credited_total=new_credited,
        position=new_position,
        furthest=new_furthest,
        locked=decision.locked,
        completed=newly_completed or row["completed_at"] is not None,
        extras=heartbeat_checks.response_extras(ctx),
    )


def ledger_entry(
    *,
    learner_id: int,
    lesson_id: int,
    seconds: int,
    ended_at: dt.datetime,
    method: str,
    detail: str,
    attribution: Attribution,
) -> dict[str, Any]:
    """The columns of a ledger entry crediting ``seconds`` of study of a lesson up to ``ended_at``.

    Every NOT NULL column without a database default is named: the heartbeat's
    PostgreSQL path inserts them with raw SQL. Elsewhere ``CreditLedger.objects.create(**entry)``.
    """
    return {
        "learner_id": learner_id,
        "lesson_id": lesson_id,
        "started_at": ended_at - dt.timedelta(seconds=seconds),
        "ended_at": ended_at,
        "seconds": seconds,
        "method": method,
        "detail": detail,
        "post": attribution.post,
        "enterprise_id": attribution.enterprise_id,
        "purpose": attribution.purpose,
        "source": "",
    }


def _progress_update_and_log(
    progress_id: int, read_seq: int, fields: dict[str, Any], entry: dict[str, Any] | None
) -> bool:
    """Apply a heartbeat: update the progress row if nobody else did since it
    was read (``client_seq`` unchanged) and append the ledger entry, both or
    neither. Returns whether the row was updated."""
    if connection.vendor == "postgresql":
        # One statement, one round trip, atomic on its own: the ledger row is
        # inserted only from the row the UPDATE returned.
        progress, ledger = Progress._meta.db_table, CreditLedger._meta.db_table
        columns = list(fields)
        assignments = ", ".join(f"{name} = %s" for name in columns)
        params: list[Any] = [fields[name] for name in columns] + [progress_id, read_seq]
        sql = f"WITH upd AS (UPDATE {progress} SET {assignments} WHERE id = %s AND client_seq = %s RETURNING id)"  # noqa: S608 - names from model meta
        if entry:
            names = [*entry, "recorded_at"]
            sql += (
                f", ins AS (INSERT INTO {ledger} ({', '.join(names)}) "  # noqa: S608
                f"SELECT {', '.join(['%s'] * len(names))} FROM upd)"
            )
            params += [*entry.values(), timezone.now()]
        sql += " SELECT count(*) FROM upd"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0] == 1
    with transaction.atomic():
        if Progress.objects.filter(pk=progress_id, client_seq=read_seq).update(**fields) != 1:
            return False
        if entry:
            CreditLedger.objects.create(**entry)
    return True


def presence_confirm(*, user: User, lesson: Lesson, token: str, now: dt.datetime | None = None) -> bool:
    """ "Are you still there?" answered: unlock. The idle time is not credited
    because the next heartbeat's span starts now."""
    lease = cache.get(_lease_key(user.pk))
    if not lease or lease.split(":")[:2] != [str(lesson.pk), token]:
        return False
    now = now or timezone.now()
    return bool(
        Progress.objects.filter(learner=user, lesson=lesson).update(last_presence_at=now, last_heartbeat_at=None)
    )


def lesson_quiz_record(*, user: User, lesson: Lesson, passed: bool) -> Progress:
    """Record a lesson quiz result (called by whoever grades the quiz)."""
    progress, _ = Progress.objects.get_or_create(learner=user, lesson=lesson)
    if passed and not progress.quiz_passed:
        progress.quiz_passed = True
        fields = ["quiz_passed"]
        if progress.completed_at is None and progress.credited_seconds >= lesson.credit_minutes * 60:
            end = lesson.end_position
            if progress.furthest >= (end - 1 if lesson.kind == Lesson.Kind.VIDEO else end):
                progress.completed_at = timezone.now()
                fields.append("completed_at")
        progress.save(update_fields=fields)
        assignments_refresh(learner=user)
    return progress


def quiz_attempt_open(*, user: User, lesson: Lesson) -> QuizAttempt:
    """The learner's open quiz attempt for a lesson, drawing a new set of
    questions when there is none. Call only for an assigned lesson whose
    time is earned (selectors.lesson_study_done). Raises QuizUnavailable for
    a lesson whose bank is exam-only."""
    if selectors.quiz_bank_is_exam_only(lesson):
        # Exam questions never reach a quiz, whichever door set the bank (admin, an old row).
        raise QuizUnavailable(
            _("This quiz uses a question bank reserved for exams. Please tell your training administrator.")
        )
    open_attempt = QuizAttempt.objects.filter(learner=user, lesson=lesson, submitted_at__isnull=True).first()
    if open_attempt is not None:
        return open_attempt
    pool = selectors.quiz_question_ids(lesson)
    if not pool:
        raise QuizUnavailable(_("This quiz has no questions yet. Please tell your training administrator."))
    drawn = random.sample(pool, min(len(pool), lesson.quiz_question_count))  # noqa: S311 - not security
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(learner=user, lesson=lesson, question_ids=drawn, total=len(drawn))
    except IntegrityError:
        # Two tabs opened the quiz at once: the other one drew first.
        return QuizAttempt.objects.get(learner=user, lesson=lesson, submitted_at__isnull=True)


def quiz_attempt_submit(*, attempt: QuizAttempt, answers: dict[int, Any]) -> QuizAttempt:
    """Grade an open attempt with question_bank's own answer checking and
    record the result (lesson_quiz_record). ``answers`` maps question id to
    the raw answer as posted. Submitting twice grades once: the first wins.

    An unanswered question counts as wrong; an answer its question cannot take (a
    letter beyond its options, a word that is not true or false) raises
    ``ValidationError`` naming each such question's field (``q<id>``), writing nothing."""
    from question_bank.models import AUTO_GRADED_TYPES, Question
    from question_bank.services import is_correct, validate_given

    # Only machine-graded questions are drawn; one that is not (never expected) counts like a deleted one.
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids, type__in=AUTO_GRADED_TYPES)}
    canonical: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for question_id, question in questions.items():
        try:
            canonical[question_id] = validate_given(
                question, answers.get(question_id), field=f"q{question_id}", allow_blank=True
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    graded: dict[str, Any] = {}
    correct = 0
    for question_id in attempt.question_ids:
        question = questions.get(question_id)
        if question is None:  # deleted since the draw: it counts for the learner
            correct += 1
            continue
        given = canonical[question_id]
        right = is_correct(question, given)
        correct += right
        graded[str(question_id)] = {"given": given, "correct": right}
    total = len(attempt.question_ids)
    passed = total > 0 and correct * 100 >= attempt.lesson.quiz_pass_percent * total
    now = timezone.now()
    with transaction.atomic():
        claimed = QuizAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            answers=graded, correct=correct, total=total, passed=passed, submitted_at=now
        )
        attempt.refresh_from_db()
        if claimed != 1:
            return attempt
        if passed:
            lesson_quiz_record(user=attempt.learner, lesson=attempt.lesson, passed=True)
            # Higher apps that wait for this quiz (classroom: an onboarding class's end-of-class quiz).
            registries.run_follow_ups(QUIZ_PASSED, attempt=attempt)
    logger.info(
        "training quiz user=%s lesson=%s correct=%s/%s passed=%s",
        attempt.learner_id,
        attempt.lesson_id,
        correct,
        total,
        passed,
    )
    return attempt
