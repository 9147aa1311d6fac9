"""Grading a submitted attempt: points per question, the score, the breakdown by knowledge point."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import pgettext

from core.db import select_where, update_rows, update_where
from exams import events
from exams.models import Attempt, AttemptQuestion
from exams.services.certificates import certificate_issue
from exams.services.papers import as_decimal
from question_bank import services as qb_services
from question_bank.models import QuestionType


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
            return False, as_decimal(aq.score * len(chosen) / len(key))
        return False, Decimal(0)
    canonical = qb_services.normalise_given(aq, given)  # type: ignore[arg-type]
    correct = qb_services.is_correct(aq, canonical)  # type: ignore[arg-type]
    return correct, aq.score if correct else Decimal(0)


def attempt_grade(attempt: Attempt, now: dt.datetime) -> None:
    """Call only after winning the submit UPDATE, inside its transaction."""
    session = attempt.session
    questions = select_where(AttemptQuestion, {"attempt": attempt.pk}, order_by=["position"])
    total = Decimal(0)
    by_kp: dict[str, dict[str, Any]] = {}
    for aq in questions:
        aq.is_correct, awarded = grade_question(aq, partial_credit=session.partial_credit)
        # One decimal, as stored: the grader's response and every later read say "0.0", not "0".
        aq.awarded = as_decimal(awarded)
        total += aq.awarded
        kp = aq.knowledge_point or pgettext("knowledge point", "General")
        row = by_kp.setdefault(kp, {"knowledge_point": kp, "questions": 0, "correct": 0, "score": "0", "max": "0"})
        row["questions"] += 1
        row["correct"] += int(bool(aq.is_correct))
        row["score"] = str(Decimal(row["score"]) + aq.awarded)
        row["max"] = str(Decimal(row["max"]) + aq.score)
    update_rows(AttemptQuestion, ("is_correct", "awarded"), [(aq.pk, aq.is_correct, aq.awarded) for aq in questions])
    attempt.score = as_decimal(total)
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
