"""Writes for exams: papers, sessions, attempts (start, autosave, submit, grade), certificates.

Services know nothing of HTTP. Refusals raise ``ExamError`` subclasses whose
message is shown to the examinee and whose ``code`` the API returns.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core import preconditions
from core.db import get_with_related, update_rows, update_where
from core.db import select_where as fetch
from core.preconditions import Requirement
from exams import events
from exams.models import (
    Attempt,
    AttemptAnswer,
    AttemptQuestion,
    Certificate,
    ExamSession,
    PaperItem,
    PaperRule,
    PaperTemplate,
)
from organizations.models import Person, TrainingProvider
from organizations.validators import mask_id_number
from question_bank import services as qb_services
from question_bank.models import OPTION_LETTERS, Bank, Question, QuestionType
from question_bank.selectors import tag_q

logger = logging.getLogger(__name__)
ONE_DECIMAL = Decimal("0.1")


class ExamError(Exception):
    """A refusal with a message for the user; ``status`` is the HTTP status the API uses."""

    code = "refused"
    status = 409

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotOpen(ExamError):
    code = "not_open"


class NotEligible(ExamError):
    code = "not_eligible"
    status = 403


class NoAttemptsLeft(ExamError):
    code = "no_attempts_left"


class AttemptClosed(ExamError):
    code = "attempt_closed"


class TimeUp(ExamError):
    code = "time_up"


class OtherDevice(ExamError):
    code = "other_device"


class StaleAnswer(ExamError):
    code = "stale_client_seq"


class BadAnswer(ExamError):
    code = "bad_answer"
    status = 400


class UnknownQuestion(ExamError):
    code = "question_not_in_attempt"
    status = 404


class UnknownAttempt(ExamError):
    code = "not_found"
    status = 404


class EarlyTimeUp(ExamError):
    code = "time_not_up"
    status = 400


class PoolTooSmall(ExamError):
    code = "pool_too_small"
    status = 400


class NoticeNotConfirmed(ExamError):
    """The examinee has not confirmed the exam notice (考试须知): nothing is used up."""

    code = "notice_not_confirmed"
    status = 400


class PreconditionUnmet(ExamError):
    """A registered start precondition (``core.preconditions``) does not hold; ``code`` is the precondition's."""

    status = 403

    def __init__(self, requirement: Requirement) -> None:
        super().__init__(requirement.message, requirement=requirement.as_dict())
        self.code = requirement.code
        self.requirement = requirement


# --- papers ---------------------------------------------------------------------------


def _d(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def rule_pool(rule: PaperRule) -> QuerySet[Question]:
    """The active questions a rule may draw from."""
    qs = Question.objects.filter(
        bank__in=rule.banks.all(),
        is_active=True,
        type=rule.qtype,
        difficulty__gte=rule.difficulty_min,
        difficulty__lte=rule.difficulty_max,
    )
    if rule.knowledge_point:
        qs = qs.filter(knowledge_point=rule.knowledge_point)
    if rule.industry_tag:
        qs = qs.filter(tag_q("industry_tags", rule.industry_tag))
    if rule.post_tag:
        qs = qs.filter(tag_q("post_tags", rule.post_tag))
    return qs


def paper_check(*, paper: PaperTemplate) -> None:
    """Raise ``PoolTooSmall`` naming the first rule whose pool can't supply it.

    Rules draw without overlap: a question matched by two rules counts once.
    """
    if paper.kind == PaperTemplate.Kind.FIXED:
        items = list(paper.items.select_related("question"))
        if not items:
            raise PoolTooSmall(_("The paper has no questions."))
        retired = [i.position + 1 for i in items if not i.question.is_active]
        if retired:
            raise PoolTooSmall(
                _("Question(s) at position %(positions)s of the paper are retired.")
                % {"positions": ", ".join(map(str, retired))}
            )
        return
    rules = list(paper.rules.all())
    if not rules:
        raise PoolTooSmall(_("The paper has no rules."))
    taken: set[int] = set()
    for number, rule in enumerate(rules, start=1):
        ids = set(rule_pool(rule).values_list("pk", flat=True)) - taken
        if len(ids) < rule.count:
            raise PoolTooSmall(
                _(
                    "Rule %(number)d (%(type)s, difficulty %(low)d–%(high)d%(kp)s) needs %(count)d questions "
                    "but its pool holds only %(available)d."
                )
                % {
                    "number": number,
                    "type": rule.get_qtype_display(),
                    "low": rule.difficulty_min,
                    "high": rule.difficulty_max,
                    "kp": f", {rule.knowledge_point}" if rule.knowledge_point else "",
                    "count": rule.count,
                    "available": len(ids),
                },
                rule=number,
                available=len(ids),
            )
        taken |= set(list(ids)[: rule.count])


@dataclass
class RuleSpec:
    qtype: str
    count: int
    score: Decimal
    banks: list[Bank]
    knowledge_point: str = ""
    industry_tag: str = ""
    post_tag: str = ""
    difficulty_min: int = 1
    difficulty_max: int = 5


def paper_create_rules(
    *, provider: TrainingProvider, name: str, rules: list[RuleSpec], created_by: Any = None
) -> PaperTemplate:
    """Create a rule-drawn paper; refused (nothing written) when a pool is too small."""
    with transaction.atomic():
        paper = PaperTemplate.objects.create(
            provider=provider, name=name, kind=PaperTemplate.Kind.RULES, created_by=created_by
        )
        for position, spec in enumerate(rules):
            if not spec.banks:
                raise PoolTooSmall(_("Rule %(number)d names no bank.") % {"number": position + 1})
            rule = PaperRule.objects.create(
                paper=paper,
                position=position,
                qtype=spec.qtype,
                count=spec.count,
                score=spec.score,
                knowledge_point=spec.knowledge_point,
                industry_tag=spec.industry_tag,
                post_tag=spec.post_tag,
                difficulty_min=spec.difficulty_min,
                difficulty_max=spec.difficulty_max,
            )
            rule.banks.set(spec.banks)
        paper_check(paper=paper)
    return paper


def paper_create_fixed(
    *, provider: TrainingProvider | None, name: str, questions: list[tuple[Question, Decimal]], created_by: Any = None
) -> PaperTemplate:
    with transaction.atomic():
        paper = PaperTemplate.objects.create(
            provider=provider, name=name, kind=PaperTemplate.Kind.FIXED, created_by=created_by
        )
        PaperItem.objects.bulk_create(
            PaperItem(paper=paper, question=q, position=i, score=score) for i, (q, score) in enumerate(questions)
        )
        paper_check(paper=paper)
    return paper


class PaperDrawer:
    """Draws papers for many examinees from pools loaded once."""

    def __init__(self, paper: PaperTemplate) -> None:
        self.paper = paper
        self.fixed: list[tuple[Question, Decimal]] = []
        self.pools: list[tuple[PaperRule, list[Question]]] = []
        if paper.kind == PaperTemplate.Kind.FIXED:
            self.fixed = [(i.question, i.score) for i in paper.items.select_related("question")]
        else:
            for rule in paper.rules.all():
                self.pools.append((rule, list(rule_pool(rule).order_by("pk"))))

    @property
    def max_score(self) -> Decimal:
        if self.fixed:
            return sum((s for _q, s in self.fixed), Decimal(0))
        return sum((r.score * r.count for r, _p in self.pools), Decimal(0))

    def draw(self, rng: random.Random) -> list[tuple[Question, Decimal]]:
        if self.fixed:
            return list(self.fixed)
        drawn: list[tuple[Question, Decimal]] = []
        taken: set[int] = set()
        for rule, pool in self.pools:
            candidates = [q for q in pool if q.pk not in taken]
            if len(candidates) < rule.count:
                raise PoolTooSmall(
                    _("A rule of paper “%(paper)s” needs %(count)d questions but its pool holds only %(available)d.")
                    % {"paper": self.paper.name, "count": rule.count, "available": len(candidates)}
                )
            for q in rng.sample(candidates, rule.count):
                taken.add(q.pk)
                drawn.append((q, rule.score))
        return drawn


def paper_preview(*, paper: PaperTemplate, seed: int | None = None) -> list[dict[str, Any]]:
    """One sample draw, with answers: for the admins who build the paper."""
    paper_check(paper=paper)
    drawer = PaperDrawer(paper)
    return [
        {
            "position": i + 1,
            "type": q.type,
            "type_label": q.get_type_display(),
            "stem": q.stem,
            "options": q.lettered_options,
            "answer": _answer_text(q.type, q.answer),
            "knowledge_point": q.knowledge_point,
            "difficulty": q.difficulty,
            "score": score,
        }
        for i, (q, score) in enumerate(drawer.draw(random.Random(seed)))
    ]


def _answer_text(qtype: str, answer: Any) -> str:
    if qtype == QuestionType.TRUE_FALSE:
        return _("True") if answer else _("False")
    if qtype == QuestionType.FILL_BLANK:
        return " | ".join(" / ".join(alts) for alts in answer)
    return str(answer)


# --- sessions -------------------------------------------------------------------------


def session_create(*, provider: TrainingProvider, paper: PaperTemplate, title: str, **fields: Any) -> ExamSession:
    people = fields.pop("eligible_people", None)
    enterprises = fields.pop("eligible_enterprises", None)
    jurisdictions = fields.pop("eligible_jurisdictions", None)
    with transaction.atomic():
        paper_check(paper=paper)
        session = ExamSession(provider=provider, paper=paper, title=title, **fields)
        session.full_clean(exclude=["eligible_people", "eligible_enterprises", "eligible_jurisdictions"])
        session.save()
        if people:
            session.eligible_people.set(people)
        if enterprises:
            session.eligible_enterprises.set(enterprises)
        if jurisdictions:
            session.eligible_jurisdictions.set(jurisdictions)
    return session


def eligible_people(session: ExamSession) -> QuerySet[Person]:
    """Everyone the session admits (before the training prerequisite)."""
    from exams.selectors import session_population

    return session_population(session)


def _rng_for(session: ExamSession, person_id: int, seq: int) -> random.Random:
    # Seeded by a server secret: the draw is reproducible for audits but not
    # predictable by examinees comparing notes.
    return random.Random(f"{settings.SECRET_KEY}:{session.pk}:{person_id}:{seq}")  # noqa: S311


def _shown(question: Question, rng: random.Random, shuffle: bool) -> tuple[list[str], list[int], Any]:
    """Options in the examinee's order, that order, and the answer in shown letters."""
    if question.type not in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return [], [], question.answer
    order = list(range(len(question.options)))
    if shuffle:
        rng.shuffle(order)
    options = [question.options[i] for i in order]
    original = {OPTION_LETTERS.index(ch) for ch in str(question.answer)}
    answer = "".join(OPTION_LETTERS[pos] for pos, i in enumerate(order) if i in original)
    return options, order, answer


def _client_question(aq: AttemptQuestion) -> dict[str, Any]:
    item: dict[str, Any] = {"id": aq.pk, "type": aq.qtype, "stem": aq.stem, "options": aq.options}
    if aq.qtype == QuestionType.FILL_BLANK:
        item["blanks"] = len(aq.answer)
    item["score"] = str(aq.score)
    return item


def _prepare(
    session: ExamSession, drawer: PaperDrawer, people: list[Person], seqs: dict[int, int], now: dt.datetime
) -> list[Attempt]:
    attempts = Attempt.objects.bulk_create(
        Attempt(
            session=session,
            person=p,
            seq=seqs.get(p.pk, 1),
            status=Attempt.Status.PREPARED,
            max_score=drawer.max_score,
            created_at=now,
        )
        for p in people
    )
    if attempts and attempts[0].pk is None:  # backends that don't return ids from bulk inserts
        by_key = {
            (a.person_id, a.seq): a.pk
            for a in Attempt.objects.filter(session=session, person__in=people).only("pk", "person_id", "seq")
        }
        for a in attempts:
            a.pk = by_key[(a.person_id, a.seq)]
    rows: list[AttemptQuestion] = []
    for attempt in attempts:
        rng = _rng_for(session, attempt.person_id, attempt.seq)
        drawn = drawer.draw(rng)
        rng.shuffle(drawn)
        for position, (q, score) in enumerate(drawn):
            options, order, answer = _shown(q, rng, session.shuffle_options)
            rows.append(
                AttemptQuestion(
                    attempt=attempt,
                    question=q,
                    position=position,
                    qtype=q.type,
                    stem=q.stem,
                    options=options,
                    option_order=order,
                    answer=answer,
                    explanation=q.explanation,
                    knowledge_point=q.knowledge_point,
                    question_version=q.version,
                    score=score,
                )
            )
    created = AttemptQuestion.objects.bulk_create(rows, batch_size=2000)
    if created and created[0].pk is None:
        lookup = {
            (aq.attempt_id, aq.position): aq.pk
            for aq in AttemptQuestion.objects.filter(attempt__in=attempts).only("pk", "attempt_id", "position")
        }
        for aq in created:
            aq.pk = lookup[(aq.attempt_id, aq.position)]
    by_attempt: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for aq in created:
        by_attempt[aq.attempt_id].append(_client_question(aq))
    for attempt in attempts:
        attempt.payload = by_attempt[attempt.pk]
    Attempt.objects.bulk_update(attempts, ["payload"], batch_size=500)
    return attempts


def session_prepare(*, session: ExamSession, now: dt.datetime | None = None) -> int:
    """Prepare a first-attempt paper for every eligible person who has none yet.

    Safe to run repeatedly (the periodic job runs it before the window opens
    and again while it is open, for people added later). Returns how many
    papers were prepared.
    """
    now = now or timezone.now()
    drawer = PaperDrawer(session.paper)
    have = set(Attempt.objects.filter(session=session).values_list("person_id", flat=True))
    people = [p for p in eligible_people(session).order_by("pk") if p.pk not in have]
    prepared = 0
    for start in range(0, len(people), 500):
        with transaction.atomic():
            prepared += len(_prepare(session, drawer, people[start : start + 500], {}, now))
    ExamSession.objects.filter(pk=session.pk).update(prepared_at=now)
    return prepared


def sessions_prepare_due(*, now: dt.datetime | None = None) -> int:
    """Prepare sessions opening within ``EXAMS_PREPARE_AHEAD_MINUTES`` or open now."""
    now = now or timezone.now()
    ahead = now + dt.timedelta(minutes=settings.EXAMS_PREPARE_AHEAD_MINUTES)
    due = ExamSession.objects.filter(kind=ExamSession.Kind.EXAM, opens_at__lte=ahead, closes_at__gt=now).filter(
        Q(prepared_at__isnull=True) | Q(prepared_at__lt=now - dt.timedelta(minutes=5))
    )
    total = 0
    for session in due.select_related("paper"):
        try:
            total += session_prepare(session=session, now=now)
        except PoolTooSmall:
            logger.warning("Exam session %s cannot be prepared: pool too small", session.pk)
    return total


# --- attempts -------------------------------------------------------------------------


def _check_prerequisite(session: ExamSession, person: Person) -> None:
    if session.required_course_id is None:
        return
    from exams.adapters import eligibility_for_course

    eligibility = eligibility_for_course(person=person, course=session.required_course)
    if not eligibility:
        raise NotEligible(eligibility.reason or _("Finish the required training first."))


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
    attempts = fetch(Attempt, {"session": session.pk, "person": person.pk}, order_by=["seq"])
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
                    prepared = _prepare(session, PaperDrawer(session.paper), [person], {person.pk: seq}, now)[0]
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


_AQ = AttemptQuestion._meta.db_table
_AA = AttemptAnswer._meta.db_table
_ATTEMPT = Attempt._meta.db_table
_SESSION = ExamSession._meta.db_table
_PERSON = Person._meta.db_table
# Mirrors selectors.attempts_answerable_by (tests/exams/test_answer_scope.py holds them equal).
_ANSWERABLE_BY = (
    f"((s.kind = 'exam' AND EXISTS (SELECT 1 FROM {_PERSON} p WHERE p.id = a.person_id AND p.user_id = %s)) "  # noqa: S608 - our names
    "OR (s.kind = 'spot' AND a.opened_by_id = %s))"
)


def attempt_answerable(*, attempt_id: int, user: Any) -> bool:
    """Whether ``user`` may answer and submit this attempt: ``selectors.attempts_answerable_by``, as one raw query.

    For the submit path, which needs only the yes or no: compiling the selector's
    queryset was a quarter of a submit's CPU (bench/bench_exam.py).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {_ATTEMPT} a JOIN {_SESSION} s ON s.id = a.session_id "  # noqa: S608 - our names
            f"WHERE a.id = %s AND {_ANSWERABLE_BY}",
            [attempt_id, user.pk, user.pk],
        )
        return cursor.fetchone() is not None


def _save_state(attempt_id: int, question_id: Any, user: Any) -> _SaveState:
    """The attempt's state and the question to answer, in one read (no lock)."""
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        question_id = 0
    scoped = user is not None
    if scoped and not getattr(user, "is_authenticated", False):
        return _SaveState(found=False)
    allowed, params = (_ANSWERABLE_BY, [user.pk, user.pk]) if scoped else ("TRUE", [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.status, a.deadline, a.device_token, s.grace_seconds, {allowed}, "  # noqa: S608 - our names
            "q.id, q.qtype, q.options, q.answer, q.given, q.client_seq "
            f"FROM {_ATTEMPT} a JOIN {_SESSION} s ON s.id = a.session_id "
            f"LEFT JOIN {_AQ} q ON q.id = %s AND q.attempt_id = a.id WHERE a.id = %s",
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
    audit = f"INSERT INTO {_AA} (attempt_id, attempt_question_id, client_seq, given, received_at) "  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH open AS (SELECT a.id FROM {_ATTEMPT} a WHERE {still_open} FOR NO KEY UPDATE), "  # noqa: S608
                f"changed AS (UPDATE {_AQ} q SET given = %(given)s::jsonb, client_seq = %(seq)s, answered_at = %(at)s "
                "FROM open WHERE q.id = %(aq)s AND q.attempt_id = open.id AND q.client_seq < %(seq)s RETURNING q.id), "
                f"logged AS ({audit}SELECT %(attempt)s, id, %(seq)s, %(given)s::jsonb, %(at)s FROM changed RETURNING 1) "
                "SELECT count(*) FROM logged",
                params,
            )
            row = cursor.fetchone()
            return bool(row and row[0] == 1)
        with transaction.atomic():
            cursor.execute(
                f"UPDATE {_AQ} SET given = %(given)s, client_seq = %(seq)s, answered_at = %(at)s "  # noqa: S608
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
            _grade(graded, now)
            return SubmitResult(graded, True)
    fresh = get_with_related(Attempt, attempt.pk, "session", exclude=["payload"])
    if fresh.status in (Attempt.Status.PREPARED, Attempt.Status.IN_PROGRESS):
        raise AttemptClosed(_("This attempt has not been started."))
    return SubmitResult(fresh, False)


def grade_question(aq: AttemptQuestion, *, partial_credit: bool) -> tuple[bool, Decimal]:
    """(fully correct, points awarded) for the saved answer of one question."""
    given = aq.given
    if given is None or given == "" or given == []:
        return False, Decimal(0)
    if aq.qtype == QuestionType.MULTIPLE:
        chosen, key = set(str(given)), set(str(aq.answer))
        if chosen == key:
            return True, aq.score
        if partial_credit and chosen < key:
            return False, _d(aq.score * len(chosen) / len(key))
        return False, Decimal(0)
    canonical = qb_services.normalise_given(aq, given)  # type: ignore[arg-type]
    correct = qb_services.is_correct(aq, canonical)  # type: ignore[arg-type]
    return correct, aq.score if correct else Decimal(0)


def _grade(attempt: Attempt, now: dt.datetime) -> None:
    """Call only after winning the submit UPDATE, inside its transaction."""
    session = attempt.session
    questions = fetch(AttemptQuestion, {"attempt": attempt.pk}, order_by=["position"])
    total = Decimal(0)
    by_kp: dict[str, dict[str, Any]] = {}
    for aq in questions:
        aq.is_correct, awarded = grade_question(aq, partial_credit=session.partial_credit)
        # One decimal, as stored: the grader's response and every later read say "0.0", not "0".
        aq.awarded = _d(awarded)
        total += aq.awarded
        kp = aq.knowledge_point or _("General")
        row = by_kp.setdefault(kp, {"knowledge_point": kp, "questions": 0, "correct": 0, "score": "0", "max": "0"})
        row["questions"] += 1
        row["correct"] += int(bool(aq.is_correct))
        row["score"] = str(Decimal(row["score"]) + aq.awarded)
        row["max"] = str(Decimal(row["max"]) + aq.score)
    update_rows(AttemptQuestion, ("is_correct", "awarded"), [(aq.pk, aq.is_correct, aq.awarded) for aq in questions])
    attempt.score = _d(total)
    attempt.passed = attempt.score >= session.pass_score
    attempt.breakdown = sorted(by_kp.values(), key=lambda r: r["knowledge_point"])
    attempt.graded_at = now
    # No model signals are connected to Attempt: a plain UPDATE is what save(update_fields=…) would send.
    update_where(
        Attempt,
        {"id": attempt.pk},
        {"score": attempt.score, "passed": attempt.passed, "breakdown": attempt.breakdown, "graded_at": now},
    )
    if attempt.passed and session.certificate_type:
        certificate_issue(attempt=attempt, now=now)
    events.emit(
        "submitted",
        attempt.pk,
        {"reason": attempt.submit_reason, "person_id": attempt.person_id, "session_id": session.pk},
    )


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


# --- certificates ---------------------------------------------------------------------


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def certificate_issue(*, attempt: Attempt, now: dt.datetime | None = None) -> Certificate:
    now = now or timezone.now()
    session = attempt.session
    person = attempt.person
    issued = timezone.localdate(now)
    for _try in range(5):
        number = f"AQ{issued:%Y}{secrets.randbelow(10**8):08d}"
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    number=number,
                    cert_type=session.certificate_type,
                    holder=person,
                    holder_name=person.name,
                    masked_id_number=mask_id_number(person.id_number),
                    enterprise=person.enterprise,
                    enterprise_name=person.enterprise.name,
                    attempt=attempt,
                    provider_id=session.provider_id,
                    score=attempt.score,
                    issued_on=issued,
                    valid_until=_add_years(issued, session.certificate_validity_years),
                )
        except IntegrityError:
            if Certificate.objects.filter(attempt=attempt).exists():
                return Certificate.objects.get(attempt=attempt)
    raise RuntimeError("could not find a free certificate number")


def certificate_revoke(*, certificate: Certificate, reason: str, now: dt.datetime | None = None) -> Certificate:
    now = now or timezone.now()
    Certificate.objects.filter(pk=certificate.pk, status=Certificate.Status.VALID).update(
        status=Certificate.Status.REVOKED, revoked_at=now, revoked_reason=reason[:255]
    )
    certificate.refresh_from_db()
    return certificate


def certificates_remind_expiring(*, today: dt.date | None = None) -> int:
    """Email holders whose certificate expires within ``EXAMS_CERTIFICATE_REMINDER_DAYS``, once."""
    from django.core.mail import send_mail
    from django.utils import translation

    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.EXAMS_CERTIFICATE_REMINDER_DAYS)
    due = Certificate.objects.filter(
        status=Certificate.Status.VALID, valid_until__gte=today, valid_until__lte=horizon, reminded_at__isnull=True
    ).select_related("holder__user")
    sent = 0
    for certificate in due:
        email = certificate.holder.user.email
        if email:
            with translation.override(settings.LANGUAGE_CODE):
                send_mail(
                    _("Your certificate %(number)s expires on %(date)s")
                    % {
                        "number": certificate.number,
                        "date": certificate.valid_until.isoformat(),
                    },
                    _("Please arrange the retraining and re-assessment before it expires."),
                    None,
                    [email],
                    fail_silently=True,
                )
            sent += 1
        Certificate.objects.filter(pk=certificate.pk).update(reminded_at=timezone.now())
    return sent


# --- spot tests (逢查必考) ----------------------------------------------------------


def spot_test_open(
    *, inspector: Any, person: Person, questions: QuerySet[Question], count: int | None = None
) -> Attempt:
    """An inspector opens a short random quiz for a named worker, answered on the inspector's phone.

    ``questions`` is already scoped to banks the inspector may read.
    """
    count = count or settings.EXAMS_SPOT_TEST_QUESTIONS
    industry = person.enterprise.industry.name
    pool = questions.filter(
        is_active=True, type__in=[QuestionType.SINGLE, QuestionType.TRUE_FALSE, QuestionType.MULTIPLE]
    )
    matched = pool.filter(tag_q("industry_tags", industry))
    chosen_pool = matched if matched.count() >= count else pool
    ids = list(chosen_pool.values_list("pk", flat=True)[:2000])
    if len(ids) < count:
        raise PoolTooSmall(
            _("Not enough questions for a spot test: %(available)d found, %(count)d needed.")
            % {"available": len(ids), "count": count}
        )
    picked = random.sample(ids, count)
    now = timezone.now()
    score = _d(Decimal(100) / count)
    with transaction.atomic():
        paper = paper_create_fixed(
            provider=None,
            name=_("Spot test for %(name)s") % {"name": person.name},
            questions=[(q, score) for q in Question.objects.filter(pk__in=picked)],
            created_by=inspector,
        )
        session = ExamSession.objects.create(
            provider=None,
            paper=paper,
            kind=ExamSession.Kind.SPOT,
            title=paper.name,
            opens_at=now,
            closes_at=now + dt.timedelta(hours=1),
            duration_minutes=settings.EXAMS_SPOT_TEST_MINUTES,
            pass_score=Decimal(60),
            review_answers=True,
            created_by=inspector,
        )
        session.eligible_people.set([person])
        attempt = _prepare(session, PaperDrawer(paper), [person], {}, now)[0]
        Attempt.objects.filter(pk=attempt.pk).update(opened_by=inspector)
        attempt.opened_by = inspector
    return attempt_start(session=session, person=person, now=now)


def validation_message(exc: ValidationError) -> str:
    return "; ".join(exc.messages)
