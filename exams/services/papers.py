"""Paper templates: rule-drawn or fixed, their checks, the drawer and the preview."""

from __future__ import annotations

import logging
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
from question_bank.selectors import sibling_keys, subjective_count, tag_q

ONE_DECIMAL = Decimal("0.1")
logger = logging.getLogger(__name__)


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

    Rules draw without overlap: a question matched by two rules counts once, and so does a
    sibling group (``PaperDrawer``): the check is the drawer's own assignment.
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
    pools = [list(rule_pool(rule).order_by("pk").values_list("pk", flat=True)) for rule in rules]
    groups = sibling_keys(_paper_bank_questions(paper))
    _check_fill(rules, pools, groups)


def _paper_bank_questions(paper: PaperTemplate) -> QuerySet[Question]:
    """Every question of the banks a rule-drawn paper draws on."""
    rule_banks = PaperRule.banks.through.objects.filter(paperrule__paper=paper).values("bank_id")
    return Question.objects.filter(bank__in=rule_banks)


def _check_fill(rules: list[PaperRule], pools: list[list[int]], groups: dict[int, int]) -> None:
    """Raise ``PoolTooSmall`` naming the first rule the pools can't fill, with one question per
    sibling group at most; the message says when sibling groups are what makes it short."""
    keyed = [keyed_by_sibling(pool, groups) for pool in pools]
    filled = _assign([list(k) for k in keyed], [r.count for r in rules], random.Random(0))
    if not isinstance(filled, tuple):
        return
    number, available = filled
    rule = rules[number]
    details = {
        "number": number + 1,
        "type": rule.get_qtype_display(),
        "low": rule.difficulty_min,
        "high": rule.difficulty_max,
        "kp": f", {rule.knowledge_point}" if rule.knowledge_point else "",
        "count": rule.count,
        "available": available,
    }
    plain = [keyed_by_sibling(pool, {}) for pool in pools]
    if not isinstance(_assign([list(k) for k in plain], [r.count for r in rules], random.Random(0)), tuple):
        raise PoolTooSmall(
            _(
                "Rule %(number)d (%(type)s, difficulty %(low)d–%(high)d%(kp)s) needs %(count)d questions, but a "
                "paper takes at most one question of each sibling group (questions that ask the same thing) and "
                "its pool then offers only %(available)d. Add questions, lower the count, or split questions "
                "that are not siblings out of their groups on the bank's sibling page."
            )
            % details,
            rule=number + 1,
            available=available,
            siblings=True,
        )
    raise PoolTooSmall(
        _(
            "Rule %(number)d (%(type)s, difficulty %(low)d–%(high)d%(kp)s) needs %(count)d questions "
            "but its pool holds only %(available)d."
        )
        % details,
        rule=number + 1,
        available=available,
    )


def keyed_by_sibling(pool: list[Any], groups: dict[int, int], pk_of: Any = None) -> dict[int, list[Any]]:
    """A pool (question ids, or questions with ``pk_of``) by draw key: its sibling group (negative, so it
    never meets a question id) or the question itself."""
    keyed: dict[int, list[Any]] = {}
    for item in pool:
        pk = item if pk_of is None else pk_of(item)
        group = groups.get(pk)
        keyed.setdefault(pk if group is None else -group, []).append(item)
    return keyed


def _assign(keys: list[list[int]], counts: list[int], rng: random.Random) -> list[list[int]] | tuple[int, int]:
    """Give each rule ``counts[r]`` distinct keys of its own ``keys[r]``, no key to two rules; at
    random, and whenever it is possible at all (a rule may take a key another rule took if that
    one can move to another key: augmenting paths, as in bipartite matching).

    Returns each rule's keys, or (the first rule that cannot be filled, how many it got).
    """
    owner: dict[int, int] = {}
    decks: list[list[int] | None] = [None] * len(keys)
    cursors = [0] * len(keys)

    def next_free(rule: int) -> int | None:
        # A lazy shuffle: each call draws one more key at random; taken keys are passed over for
        # good (a key once taken stays taken, only its rule may change).
        deck = decks[rule]
        if deck is None:
            deck = decks[rule] = list(keys[rule])
        i = cursors[rule]
        while i < len(deck):
            j = rng.randrange(i, len(deck))
            deck[i], deck[j] = deck[j], deck[i]
            key = deck[i]
            i += 1
            if key not in owner:
                cursors[rule] = i
                return key
        cursors[rule] = i
        return None

    def augment(rule: int) -> bool:
        came_from: dict[int, tuple[int, int] | None] = {rule: None}
        queue = [rule]
        while queue:
            current = queue.pop(0)
            for key in keys[current]:
                other = owner[key]
                if other in came_from:
                    continue
                came_from[other] = (current, key)
                free = next_free(other)
                if free is not None:
                    owner[free] = other
                    while other != rule:
                        step = came_from[other]
                        assert step is not None
                        owner[step[1]] = step[0]
                        other = step[0]
                    return True
                queue.append(other)
        return False

    for rule, count in enumerate(counts):
        for got in range(count):
            key = next_free(rule)
            if key is not None:
                owner[key] = rule
            elif not augment(rule):
                return rule, got
    chosen: list[list[int]] = [[] for _rule in counts]
    for key, rule in owner.items():
        chosen[rule].append(key)
    return chosen


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
    """Draws papers for many examinees from pools loaded once.

    A rule-drawn paper holds at most one question of each sibling group
    (``question_bank.models.SiblingGroup``, suggested or confirmed), across all its rules.
    """

    def __init__(self, paper: PaperTemplate) -> None:
        self.paper = paper
        self.fixed: list[tuple[Question, Decimal]] = []
        self.rules: list[PaperRule] = []
        self.pools: list[dict[int, list[Question]]] = []  # per rule: draw key -> its questions
        self.keys: list[list[int]] = []
        if paper.kind == PaperTemplate.Kind.FIXED:
            self.fixed = [(i.question, i.score) for i in paper.items.select_related("question")]
            check_auto_graded([(position, q) for position, (q, _s) in enumerate(self.fixed)])
        else:
            self.rules = list(paper.rules.all())
            groups = sibling_keys(_paper_bank_questions(paper))
            for rule in self.rules:
                self.pools.append(keyed_by_sibling(list(rule_pool(rule).order_by("pk")), groups, lambda q: q.pk))
            self.keys = [list(pool) for pool in self.pools]

    @property
    def max_score(self) -> Decimal:
        if self.fixed:
            return sum((s for _q, s in self.fixed), Decimal(0))
        return sum((r.score * r.count for r in self.rules), Decimal(0))

    def draw(self, rng: random.Random) -> list[tuple[Question, Decimal]]:
        """One examinee's questions. A paper scheduled before a scan found siblings that leave it
        short (``paper_check`` refuses such a paper at scheduling) still draws, siblings allowed:
        an examinee is never turned away at the door for it."""
        if self.fixed:
            return list(self.fixed)
        counts = [r.count for r in self.rules]
        pools, chosen = self.pools, _assign(self.keys, counts, rng)
        if isinstance(chosen, tuple):
            pools = [{q.pk: [q] for questions in pool.values() for q in questions} for pool in self.pools]
            chosen = _assign([list(pool) for pool in pools], counts, rng)
            if not isinstance(chosen, tuple):
                logger.warning("paper %s drawn with sibling questions together: its pools are short", self.paper.pk)
        if isinstance(chosen, tuple):
            rule, available = chosen
            raise PoolTooSmall(
                _("A rule of paper “%(paper)s” needs %(count)d questions but its pool holds only %(available)d.")
                % {"paper": self.paper.name, "count": self.rules[rule].count, "available": available}
            )
        drawn: list[tuple[Question, Decimal]] = []
        for rule, pool, keys in zip(self.rules, pools, chosen, strict=True):
            for key in keys:
                siblings = pool[key]
                drawn.append((siblings[rng.randrange(len(siblings))] if len(siblings) > 1 else siblings[0], rule.score))
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
