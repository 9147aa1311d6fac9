"""Exam sessions and the papers prepared for them ahead of the start."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from exams.models import Attempt, AttemptQuestion, ExamSession, PaperTemplate
from exams.services.errors import PoolTooSmall
from exams.services.papers import PaperDrawer, paper_check
from organizations.models import Person, TrainingProvider
from question_bank.models import OPTION_LETTERS, Question, QuestionType

logger = logging.getLogger(__name__)


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


def attempt_question_build(
    *,
    attempt: Attempt,
    question: Question,
    position: int,
    score: Decimal,
    rng: random.Random,
    shuffle_options: bool,
) -> AttemptQuestion:
    """The attempt's copy of ``question``, unsaved; its options shuffled by ``rng`` when ``shuffle_options``."""
    options, order, answer = _shown(question, rng, shuffle_options)
    return AttemptQuestion(
        attempt=attempt,
        question=question,
        position=position,
        qtype=question.type,
        stem=question.stem,
        options=options,
        option_order=order,
        answer=answer,
        explanation=question.explanation,
        knowledge_point=question.knowledge_point,
        question_version=question.version,
        score=score,
    )


def attempts_prepare(
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
            rows.append(
                attempt_question_build(
                    attempt=attempt,
                    question=q,
                    position=position,
                    score=score,
                    rng=rng,
                    shuffle_options=session.shuffle_options,
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
            prepared += len(attempts_prepare(session, drawer, people[start : start + 500], {}, now))
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
