"""An examinee's attempt: start, resume, autosave and submit (the exam hot path), and its correction after a proctoring review (invalidate, reinstate)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core import preconditions
from core.db import get_with_related, select_where, update_where
from core.users import is_signed_in
from exams import events
from exams.models import Attempt, AttemptAnswer, AttemptQuestion, Certificate, ExamSession
from exams.selectors import attempts_answerable_by_sql, unmet_prerequisite
from exams.services.certificates import certificate_issue, certificate_revoke
from exams.services.errors import (
    AttemptClosed,
    BadAnswer,
    EarlyTimeUp,
    NoAttemptsLeft,
    NotEligible,
    NoticeNotConfirmed,
    NotOpen,
    OtherDevice,
    PreconditionUnmet,
    StaleAnswer,
    TimeUp,
    UnknownAttempt,
    UnknownQuestion,
)
from exams.services.grading import attempt_grade
from exams.services.papers import PaperDrawer
from exams.services.sessions import attempts_prepare
from organizations.models import Person
from question_bank.models import OPTION_LETTERS, QuestionType


def _check_prerequisite(session: ExamSession, person: Person) -> None:
    reason = unmet_prerequisite(session, person)
    if reason:
        raise NotEligible(reason)


def attempt_start(
    *, session: ExamSession, person: Person, notice_confirmed: bool = False, now: dt.datetime | None = None
) -> Attempt:
    """Start (or resume) this person's attempt and hand the caller a new device token.

    A new start of an exam needs ``notice_confirmed`` (the examinee ticked the
    exam notice) and every registered start precondition (``core.preconditions``:
    the identity check of a proctored session) to hold; both are checked after
    the examinee is known to be admitted and before a paper is drawn or marked
    started, so a refusal uses nothing up. Resuming a running attempt asks
    neither again: it could not have started without them. The deadline counts
    from this start, the moment the paper is delivered.

    Fast path: a prepared paper is switched to ``in_progress`` with one
    conditional UPDATE; the caller sends ``attempt.payload`` as is.
    """
    now = now or timezone.now()
    if session.kind == ExamSession.Kind.EXAM and not session.is_open(now):
        raise NotOpen(
            _("This exam is not open now. It opens %(opens)s and closes %(closes)s.")
            % {
                "opens": timezone.localtime(session.opens_at).strftime("%Y-%m-%d %H:%M"),
                "closes": timezone.localtime(session.closes_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    attempts = select_where(Attempt, {"session": session.pk, "person": person.pk}, order_by=["seq"])
    running = next((a for a in attempts if a.status == Attempt.Status.IN_PROGRESS), None)
    if running is not None:
        return attempt_resume(attempt=running, now=now)
    _check_prerequisite(session, person)
    prepared = next((a for a in attempts if a.status == Attempt.Status.PREPARED), None)
    if prepared is None:
        finished = [a for a in attempts if a.is_finished]
        if len(finished) >= session.attempts_allowed:
            raise NoAttemptsLeft(
                _("You have used all %(n)d attempt(s) allowed for this exam.") % {"n": session.attempts_allowed}
            )
        from exams.selectors import session_admits

        if not session_admits(session, person):
            raise NotEligible(_("You are not on the list of examinees for this exam."))
    elif prepared.seq > session.attempts_allowed:
        raise NoAttemptsLeft(
            _("You have used all %(n)d attempt(s) allowed for this exam.") % {"n": session.attempts_allowed}
        )
    # A spot test is opened by the inspector on their own phone: there is no notice to confirm.
    if session.kind == ExamSession.Kind.EXAM and not notice_confirmed:
        raise NoticeNotConfirmed(
            _("Read the exam notice and tick “I have read and agree to the exam notice” before starting."),
            field="confirm_notice",
        )
    unmet = preconditions.first_unmet(session=session, person=person)
    if unmet is not None:
        raise PreconditionUnmet(unmet)
    if prepared is None:
        with transaction.atomic():
            seq = (max((a.seq for a in attempts), default=0)) + 1
            try:
                with transaction.atomic():
                    prepared = attempts_prepare(session, PaperDrawer(session.paper), [person], {person.pk: seq}, now)[0]
            except IntegrityError:
                # Two tabs started at once: the other one prepared it.
                prepared = Attempt.objects.get(session=session, person=person, seq=seq)
    deadline = now + dt.timedelta(minutes=session.duration_minutes)
    if session.kind == ExamSession.Kind.EXAM:
        deadline = min(deadline, session.closes_at)
    token = secrets.token_hex(8)
    changed = update_where(
        Attempt,
        {"id": prepared.pk, "status": Attempt.Status.PREPARED},
        {"status": Attempt.Status.IN_PROGRESS, "started_at": now, "deadline": deadline, "device_token": token},
    )
    if changed == 1:
        prepared.status, prepared.started_at, prepared.deadline, prepared.device_token = (
            Attempt.Status.IN_PROGRESS,
            now,
            deadline,
            token,
        )
        if prepared.payload == [] or prepared.payload is None:
            prepared.refresh_from_db(fields=["payload"])
        prepared.fresh_start = True  # nothing can be saved yet: the caller skips looking
        events.emit("started", prepared.pk, {"person_id": person.pk, "session_id": session.pk})
        return prepared
    # Lost a race with another tab starting the same paper: resume it.
    prepared.refresh_from_db()
    if prepared.status == Attempt.Status.IN_PROGRESS:
        return attempt_resume(attempt=prepared, now=now)
    raise AttemptClosed(_("This attempt has already been submitted."))


def attempt_resume(*, attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    """Hand this device the attempt; the previous device's saves are refused from now on."""
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AttemptClosed(_("This attempt has already been submitted."))
    token = secrets.token_hex(8)
    Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(device_token=token)
    attempt.device_token = token
    return attempt


def saved_answers(attempt: Attempt) -> dict[int, dict[str, Any]]:
    """The answers saved so far, for resuming on another device."""
    if getattr(attempt, "fresh_start", False):
        return {}
    return {
        row["pk"]: {"answer": row["given"], "client_seq": row["client_seq"]}
        for row in AttemptQuestion.objects.filter(attempt=attempt, client_seq__gt=0).values("pk", "given", "client_seq")
    }


def validate_answer(aq: AttemptQuestion, answer: Any) -> Any:
    """The answer in canonical form (shown letters), or ``BadAnswer`` naming the problem."""
    if answer is None:
        return None
    if aq.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if isinstance(answer, list) and all(isinstance(a, str) for a in answer):
            answer = "".join(answer)
        if not isinstance(answer, str):
            raise BadAnswer(_('The answer to a choice question is a string of option letters, e.g. "B" or "ACD".'))
        letters = answer.strip().upper()
        allowed = OPTION_LETTERS[: len(aq.options)]
        if any(ch not in allowed for ch in letters) or len(set(letters)) != len(letters):
            raise BadAnswer(
                _("“%(answer)s” is not a valid choice: pick among %(allowed)s, each at most once.")
                % {"answer": answer[:20], "allowed": ", ".join(allowed)}
            )
        if aq.qtype == QuestionType.SINGLE and len(letters) > 1:
            raise BadAnswer(_("A single-choice question takes one letter."))
        return "".join(sorted(letters))
    if aq.qtype == QuestionType.TRUE_FALSE:
        if not isinstance(answer, bool):
            raise BadAnswer(_("The answer to a true/false question is true or false."))
        return answer
    blanks = len(aq.answer)
    if (
        not isinstance(answer, list)
        or len(answer) != blanks
        or not all(isinstance(a, str) and len(a) <= 200 for a in answer)
    ):
        raise BadAnswer(
            _("The answer to this fill-in-the-blank question is a list of %(n)d text(s), at most 200 characters each.")
            % {"n": blanks}
        )
    return [a.strip() for a in answer]


@dataclass
class SaveResult:
    question_id: int
    client_seq: int
    saved_at: dt.datetime
    replay: bool = False


def attempt_save_answer(
    *,
    attempt: Attempt,
    question_id: int,
    answer: Any,
    client_seq: int,
    device: str | None = None,
    now: dt.datetime | None = None,
    user: Any = None,
) -> SaveResult:
    """Save one answer; idempotent on (question, client_seq), the latest seq wins.

    ``user`` (the caller) limits the attempt to ``selectors.attempts_answerable_by(user)``;
    an attempt outside it raises ``UnknownAttempt``.

    The write locks the attempt row (FOR NO KEY UPDATE on PostgreSQL) and
    re-checks that it is open in the same statement, so a save and a submit
    serialise: a save either lands before grading or is refused, never
    acknowledged and then ignored. Raw SQL (two statements, no explicit
    transaction) because this is the path every examinee calls on every
    answer, and the ORM's compiling of it cost more than running it
    (bench/bench_exam.py, docs/PERFORMANCE.md).
    """
    now = now or timezone.now()
    if not isinstance(client_seq, int) or isinstance(client_seq, bool) or client_seq < 1:
        raise BadAnswer(_("client_seq must be a positive integer."))
    state = _save_state(attempt.pk, question_id, user)
    _check_open(state, user, now, device)
    aq = state.question
    if aq is None:
        raise UnknownQuestion(_("Question %(id)s is not part of this attempt.") % {"id": question_id})
    canonical = validate_answer(aq, answer)
    if aq.client_seq < client_seq:
        written = _answer_write(attempt.pk, aq.pk, canonical, client_seq, now, device, state.grace)
        if written is True:
            events.emit("answer_saved", attempt.pk, {"question_id": aq.pk, "client_seq": client_seq})
            return SaveResult(aq.pk, client_seq, now)
        # The attempt closed, or another save of this question landed, since the read.
        state = _save_state(attempt.pk, question_id, user)
        _check_open(state, user, now, device)
        aq = state.question
        assert aq is not None  # noqa: S101 - questions of an attempt are never deleted while it runs
    if aq.client_seq == client_seq and aq.given == canonical:
        return SaveResult(aq.pk, client_seq, now, replay=True)
    raise StaleAnswer(
        _(
            "An answer with a newer or equal sequence number (%(saved)d) is already saved; this one (%(sent)d) was ignored."
        )
        % {"saved": aq.client_seq, "sent": client_seq},
        saved_client_seq=aq.client_seq,
    )


@dataclass
class _SaveState:
    found: bool
    status: str = ""
    deadline: dt.datetime | None = None
    device_token: str = ""
    grace: int = 0
    question: AttemptQuestion | None = None


ATTEMPT_QUESTION_TABLE = AttemptQuestion._meta.db_table


ATTEMPT_ANSWER_TABLE = AttemptAnswer._meta.db_table


_ATTEMPT = Attempt._meta.db_table


_SESSION = ExamSession._meta.db_table


def attempt_answerable(*, attempt_id: int, user: Any) -> bool:
    """Whether ``user`` may answer and submit this attempt: ``selectors.attempts_answerable_by``, as one raw query.

    For the submit path, which needs only the yes or no: compiling the selector's
    queryset was a quarter of a submit's CPU (bench/bench_exam.py).
    """
    if not is_signed_in(user):
        return False
    answerable, params = attempts_answerable_by_sql(user)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {_ATTEMPT} a JOIN {_SESSION} s ON s.id = a.session_id "  # noqa: S608 - our names
            f"WHERE a.id = %s AND {answerable}",
            [attempt_id, *params],
        )
        return cursor.fetchone() is not None


def _save_state(attempt_id: int, question_id: Any, user: Any) -> _SaveState:
    """The attempt's state and the question to answer, in one read (no lock)."""
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        question_id = 0
    scoped = user is not None
    if scoped and not is_signed_in(user):
        return _SaveState(found=False)
    allowed, params = attempts_answerable_by_sql(user) if scoped else ("TRUE", [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.status, a.deadline, a.device_token, s.grace_seconds, {allowed}, "  # noqa: S608 - our names
            "q.id, q.qtype, q.options, q.answer, q.given, q.client_seq "
            f"FROM {_ATTEMPT} a JOIN {_SESSION} s ON s.id = a.session_id "
            f"LEFT JOIN {ATTEMPT_QUESTION_TABLE} q ON q.id = %s AND q.attempt_id = a.id WHERE a.id = %s",
            [*params, question_id, attempt_id],
        )
        row = cursor.fetchone()
    if row is None or not row[4]:
        return _SaveState(found=False)
    status, deadline, device_token, grace, _allowed, aq_id, qtype, options, key, given, seq = row
    question = None
    if aq_id is not None:
        question = AttemptQuestion(
            pk=aq_id,
            attempt_id=attempt_id,
            qtype=qtype,
            options=_json(options),
            answer=_json(key),
            given=None if given is None else _json(given),
            client_seq=seq,
        )
    if isinstance(deadline, str):  # SQLite: naive UTC text
        deadline = parse_datetime(deadline)
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline, dt.UTC)
    return _SaveState(True, status, deadline, device_token, grace, question)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _check_open(state: _SaveState, user: Any, now: dt.datetime, device: str | None) -> None:
    if not state.found and user is not None:
        raise UnknownAttempt(_("No such attempt."))
    if not state.found or state.status != Attempt.Status.IN_PROGRESS or state.deadline is None:
        raise AttemptClosed(_("This attempt has already been submitted; the answer was not saved."))
    if now > state.deadline + dt.timedelta(seconds=state.grace):
        raise TimeUp(_("Time is up; the answer was not saved."))
    if device and device != state.device_token:
        raise OtherDevice(
            _("This exam was opened on another device. Continue there, or reload this page to take it over.")
        )


def _answer_write(
    attempt_id: int, aq_id: int, given: Any, client_seq: int, now: dt.datetime, device: str | None, grace: int
) -> bool:
    """Store the answer and its audit row if the attempt is still open and ``client_seq`` is newer.

    On PostgreSQL one statement, so atomic without a transaction of its own:
    it locks the attempt row and re-checks status, deadline and device after
    the lock (a submit holding the row makes it wait, then refuse). Elsewhere
    a conditional UPDATE and the INSERT in one transaction.
    """
    params = {
        "attempt": attempt_id,
        "aq": aq_id,
        "seq": client_seq,
        "given": json.dumps(given),
        "at": connection.ops.adapt_datetimefield_value(now),
        "cutoff": connection.ops.adapt_datetimefield_value(now - dt.timedelta(seconds=grace)),
        "open": Attempt.Status.IN_PROGRESS,
        "device": device,
    }
    still_open = "a.id = %(attempt)s AND a.status = %(open)s AND a.deadline >= %(cutoff)s" + (
        " AND a.device_token = %(device)s" if device else ""
    )
    audit = f"INSERT INTO {ATTEMPT_ANSWER_TABLE} (attempt_id, attempt_question_id, client_seq, given, received_at) "  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH open AS (SELECT a.id FROM {_ATTEMPT} a WHERE {still_open} FOR NO KEY UPDATE), "  # noqa: S608
                f"changed AS (UPDATE {ATTEMPT_QUESTION_TABLE} q SET given = %(given)s::jsonb, client_seq = %(seq)s, answered_at = %(at)s "
                "FROM open WHERE q.id = %(aq)s AND q.attempt_id = open.id AND q.client_seq < %(seq)s RETURNING q.id), "
                f"logged AS ({audit}SELECT %(attempt)s, id, %(seq)s, %(given)s::jsonb, %(at)s FROM changed RETURNING 1) "
                "SELECT count(*) FROM logged",
                params,
            )
            row = cursor.fetchone()
            return bool(row and row[0] == 1)
        with transaction.atomic():
            cursor.execute(
                f"UPDATE {ATTEMPT_QUESTION_TABLE} SET given = %(given)s, client_seq = %(seq)s, answered_at = %(at)s "  # noqa: S608
                f"WHERE id = %(aq)s AND client_seq < %(seq)s AND attempt_id IN (SELECT a.id FROM {_ATTEMPT} a WHERE {still_open})",
                params,
            )
            if cursor.rowcount != 1:
                return False
            cursor.execute(audit + "VALUES (%(attempt)s, %(aq)s, %(seq)s, %(given)s, %(at)s)", params)
            return True


@dataclass
class SubmitResult:
    attempt: Attempt
    graded_now: bool


TIME_UP_SKEW = dt.timedelta(seconds=2)


def attempt_submit(*, attempt: Attempt, reason: str, now: dt.datetime | None = None) -> SubmitResult:
    """Submit and grade exactly once.

    The status moves ``in_progress`` → ``submitted`` in one conditional UPDATE;
    only the caller whose UPDATE changed the row grades, inside the same
    transaction. Every other caller (a second tab, the deadline job, a proctor)
    waits for that transaction and reads the same result.
    """
    now = now or timezone.now()
    if reason not in Attempt.SubmitReason.values:
        raise BadAnswer(_("Unknown reason for submitting: %(reason)s.") % {"reason": str(reason)[:40]})
    if reason == Attempt.SubmitReason.TIME_UP:
        deadline = Attempt.objects.filter(pk=attempt.pk).values_list("deadline", flat=True).first()
        if deadline is not None and now + TIME_UP_SKEW < deadline:
            raise EarlyTimeUp(_("Time is not up yet: the server's clock says there is time left."))
    with transaction.atomic():
        changed = update_where(
            Attempt,
            {"id": attempt.pk, "status": Attempt.Status.IN_PROGRESS},
            {"status": Attempt.Status.SUBMITTED, "submitted_at": now, "submit_reason": reason, "score": Decimal(0)},
        )
        if changed == 1:
            # Read after the UPDATE, in its transaction: the result as graded is what the caller gets.
            graded = get_with_related(Attempt, attempt.pk, "session", exclude=["payload"])
            attempt_grade(graded, now)
            return SubmitResult(graded, True)
    fresh = get_with_related(Attempt, attempt.pk, "session", exclude=["payload"])
    if fresh.status in (Attempt.Status.PREPARED, Attempt.Status.IN_PROGRESS):
        raise AttemptClosed(_("This attempt has not been started."))
    return SubmitResult(fresh, False)


def attempts_submit_overdue(*, now: dt.datetime | None = None) -> int:
    """The deadline job: submit every attempt past its deadline plus grace. Returns how many it graded."""
    now = now or timezone.now()
    due = Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lt=now).values_list(
        "pk", "deadline", "session__grace_seconds"
    )
    graded = 0
    for pk, deadline, grace in due:
        if deadline + dt.timedelta(seconds=grace) <= now:
            result = attempt_submit(attempt=Attempt(pk=pk), reason=Attempt.SubmitReason.DEADLINE_JOB, now=now)
            graded += int(result.graded_now)
    return graded


def attempt_invalidate(*, attempt: Attempt, reason: str, now: dt.datetime | None = None) -> Attempt:
    """A proctoring review voids the attempt: it stops counting and its certificate is revoked."""
    now = now or timezone.now()
    with transaction.atomic():
        if attempt.status == Attempt.Status.IN_PROGRESS:
            attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.PROCTOR, now=now)
        Attempt.objects.filter(pk=attempt.pk).exclude(status=Attempt.Status.PREPARED).update(
            status=Attempt.Status.INVALIDATED, passed=False, invalidated_reason=reason[:255]
        )
        for certificate in Certificate.objects.filter(attempt_id=attempt.pk, status=Certificate.Status.VALID):
            certificate_revoke(certificate=certificate, reason=reason, now=now)
        events.emit("invalidated", attempt.pk, {"reason": reason[:255]})
    return Attempt.objects.get(pk=attempt.pk)


def attempt_reinstate(*, attempt: Attempt, invalidated_at: dt.datetime, now: dt.datetime | None = None) -> Attempt:
    """Undo ``attempt_invalidate``: the attempt counts again with the score it was graded.

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
