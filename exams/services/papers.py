"""Paper templates: rule-drawn or fixed, their checks, the drawer and the preview."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from exams.models import PaperItem, PaperRule, PaperTemplate
from exams.services.errors import PoolTooSmall, SubjectiveRefused
from organizations.models import TrainingProvider
from question_bank.models import AUTO_GRADED_TYPES, Bank, Question, QuestionType
from question_bank.selectors import subjective_count, tag_q

ONE_DECIMAL = Decimal("0.1")


def as_decimal(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def rule_pool(rule: PaperRule) -> QuerySet[Question]:
    """The active questions a rule may draw from: never a subjective one (``rule.qtype`` is a
    machine-graded type, and the filter says so again)."""
    qs = Question.objects.filter(
        bank__in=rule.banks.all(),
        is_active=True,
        type=rule.qtype,
        type__in=AUTO_GRADED_TYPES,
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
        check_auto_graded([(i.position, i.question) for i in items])
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


def check_auto_graded(picked: list[tuple[int, Question]]) -> None:
    """Refuse (``SubjectiveRefused``) a paper that would hold a subjective question: exams grade
    every answer automatically, and nobody would mark it. ``picked``: (position from 0, question)."""
    subjective = [(position, q) for position, q in picked if q.type not in AUTO_GRADED_TYPES]
    if subjective:
        raise SubjectiveRefused(
            _(
                "Question(s) at position %(positions)s are subjective (%(stems)s): they need manual marking, "
                "which exams do not have, so a paper cannot hold them."
            )
            % {
                "positions": ", ".join(str(position + 1) for position, _q in subjective),
                "stems": "；".join(f"#{q.pk} {q.stem[:20]}" for _p, q in subjective[:3]),
            }
        )


def subjective_left_out_message(bank_ids: Any) -> str:
    """What a paper or quiz builder tells the admin about the subjective questions it leaves out ("" if none)."""
    count = subjective_count(bank_ids)
    if not count:
        return ""
    return _(
        "The question bank holds %(count)d subjective question(s): they need manual marking and are not drawn "
        "into papers."
    ) % {"count": count}


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

    def rule_fields(self) -> dict[str, Any]:
        """The ``PaperRule`` fields this spec gives, each under its own name (the banks are a relation)."""
        return {field.name: getattr(self, field.name) for field in fields(self) if field.name != "banks"}


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
            if spec.qtype not in AUTO_GRADED_TYPES:
                raise SubjectiveRefused(
                    _(
                        "Rule %(number)d asks for subjective questions: they need manual marking, which exams do "
                        "not have, so papers never draw them."
                    )
                    % {"number": position + 1}
                )
            rule = PaperRule.objects.create(paper=paper, position=position, **spec.rule_fields())
            rule.banks.set(spec.banks)
        paper_check(paper=paper)
    return paper


def paper_create_fixed(
    *, provider: TrainingProvider | None, name: str, questions: list[tuple[Question, Decimal]], created_by: Any = None
) -> PaperTemplate:
    """A paper of hand-picked questions; ``SubjectiveRefused`` (nothing written) if one is subjective."""
    check_auto_graded([(i, q) for i, (q, _score) in enumerate(questions)])
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
            check_auto_graded([(position, q) for position, (q, _s) in enumerate(self.fixed)])
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
