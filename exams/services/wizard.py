"""The exam wizard (考试向导): a proctored exam from one bank in a few steps, with sensible defaults.

The defaults are pure functions of what the bank holds and the clock; the one
write, ``exam_wizard_create``, builds the rule-drawn paper, the session and
every registered extra step (``core.wizard_steps``: proctoring's policy) in one
transaction, through the same services as the separate pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core import wizard_steps
from exams.models import ExamSession
from exams.services.errors import WizardRefused
from exams.services.papers import RuleSpec, as_decimal, paper_create_rules
from exams.services.sessions import session_create
from organizations.models import TrainingProvider
from question_bank.models import AUTO_GRADED_TYPES, Bank, QuestionType

# A full bank gives a 100-point paper: 20 single × 2, 10 multiple × 3, 10 true/false × 2, 5 fill-in × 2.
TARGETS: dict[str, tuple[int, Decimal]] = {
    QuestionType.SINGLE: (20, Decimal(2)),
    QuestionType.MULTIPLE: (10, Decimal(3)),
    QuestionType.TRUE_FALSE: (10, Decimal(2)),
    QuestionType.FILL_BLANK: (5, Decimal(2)),
}
PASS_SHARE = Decimal("0.6")
DURATION_MINUTES = 60
ATTEMPTS = 2
WINDOW = dt.timedelta(days=7)


@dataclass(frozen=True)
class TypeRule:
    """How many questions of one type the paper draws from the bank, and each one's score."""

    qtype: str
    count: int
    score: Decimal


def default_rules(available: dict[str, int]) -> list[TypeRule]:
    """One rule per machine-graded type: the target count, or all the bank holds when that is fewer."""
    return [
        TypeRule(qtype=qtype, count=min(target, available.get(qtype, 0)), score=score)
        for qtype, (target, score) in TARGETS.items()
    ]


def paper_total(rules: list[TypeRule]) -> Decimal:
    return sum((r.score * r.count for r in rules), Decimal(0))


def default_pass_score(total: Decimal) -> Decimal:
    """60 % of the paper's total, to one decimal."""
    return as_decimal(total * PASS_SHARE)


def default_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Open from this minute for a week."""
    opens = now.replace(second=0, microsecond=0)
    return opens, opens + WINDOW


def rules_check(*, available: dict[str, int], rules: list[TypeRule]) -> None:
    """Raise ``WizardRefused`` naming the field (``count_<type>``) of the first count the bank cannot supply."""
    for rule in rules:
        if rule.qtype not in AUTO_GRADED_TYPES:
            raise WizardRefused(_("Papers draw only machine-graded questions."), field=f"count_{rule.qtype}")
        have = available.get(rule.qtype, 0)
        if rule.count > have:
            raise WizardRefused(
                _(
                    "One paper can draw at most %(available)d questions of this type from this bank "
                    "(similar questions count once)."
                )
                % {"available": have},
                field=f"count_{rule.qtype}",
            )
    if paper_total(rules) <= 0:
        field = f"count_{rules[0].qtype}" if rules else None
        raise WizardRefused(_("Choose at least one question for the paper."), field=field)


def pass_score_check(*, pass_score: Decimal, total: Decimal) -> None:
    """Raise ``WizardRefused`` (field ``pass_score``) when nobody could reach the pass mark."""
    if pass_score > total:
        raise WizardRefused(
            _("The pass mark is above the paper's total of %(total)s points.") % {"total": total},
            field="pass_score",
        )


def exam_wizard_create(
    *,
    provider: TrainingProvider,
    bank: Bank,
    available: dict[str, int],
    paper_name: str,
    rules: list[TypeRule],
    title: str,
    session_fields: dict[str, Any],
    steps: dict[str, dict[str, Any]],
    created_by: Any,
) -> ExamSession:
    """Create the paper, the session and every registered step's part (``core.wizard_steps``) in one
    transaction: a refusal anywhere leaves nothing behind. ``available``: the bank's active
    machine-graded questions by type (``exams.selectors.bank_type_counts``), checked again here."""
    rules_check(available=available, rules=rules)
    pass_score_check(pass_score=session_fields["pass_score"], total=paper_total(rules))
    with transaction.atomic():
        paper = paper_create_rules(
            provider=provider,
            name=paper_name,
            rules=[RuleSpec(qtype=r.qtype, count=r.count, score=r.score, banks=[bank]) for r in rules if r.count],
            created_by=created_by,
        )
        session = session_create(provider=provider, paper=paper, title=title, created_by=created_by, **session_fields)
        wizard_steps.apply_all(session=session, data=steps, by=created_by)
    return session
