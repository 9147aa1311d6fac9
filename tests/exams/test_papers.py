from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exams.models import Attempt, AttemptQuestion, PaperTemplate
from exams.services.attempts import attempt_save_answer, attempt_start, attempt_submit
from exams.services.errors import PoolTooSmall
from exams.services.papers import RuleSpec, paper_create_rules, paper_preview
from exams.services.sessions import session_prepare
from question_bank.models import Question, QuestionType
from tests import factories
from tests.exams.conftest import make_bank, make_paper, make_question, make_session


@pytest.mark.django_db
def test_a_paper_whose_pool_is_too_small_is_refused_and_nothing_is_saved(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=3)
    with pytest.raises(PoolTooSmall) as info:
        paper_create_rules(
            provider=cast.east.provider,
            name="太大的试卷",
            rules=[RuleSpec(qtype=QuestionType.SINGLE, count=5, score=Decimal(2), banks=[bank])],
        )
    assert "5" in info.value.message
    assert "3" in info.value.message
    assert not PaperTemplate.objects.filter(name="太大的试卷").exists()


@pytest.mark.django_db
def test_rules_filter_by_difficulty_and_knowledge_point(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=0)
    for n in range(4):
        make_question(bank, QuestionType.SINGLE, n, kp="危化品", difficulty=2 + n % 3)
    make_question(bank, QuestionType.SINGLE, 9, kp="消防", difficulty=3)
    spec = RuleSpec(
        qtype=QuestionType.SINGLE,
        count=4,
        score=Decimal(2),
        banks=[bank],
        knowledge_point="危化品",
        difficulty_min=2,
        difficulty_max=4,
    )
    paper = paper_create_rules(provider=cast.east.provider, name="危化品", rules=[spec])
    preview = paper_preview(paper=paper, seed=1)
    assert len(preview) == 4
    assert {row["knowledge_point"] for row in preview} == {"危化品"}
    with pytest.raises(PoolTooSmall):
        paper_create_rules(
            provider=cast.east.provider,
            name="更难",
            rules=[RuleSpec(**{**spec.__dict__, "difficulty_min": 4})],
        )


@pytest.mark.django_db
def test_each_examinee_gets_an_own_order_fixed_at_start_and_stable_on_reload(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=8)
    paper = make_paper(cast.east.provider, bank, per_type=4)
    session = make_session(cast.east.provider, paper)
    others = [factories.make_person(cast.east.enterprises[0]) for _ in range(3)]
    session_prepare(session=session)
    first = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    again = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    assert again.pk == first.pk
    assert again.payload == first.payload
    orders = {
        tuple(q["stem"] for q in attempt_start(notice_confirmed=True, session=session, person=p).payload)
        for p in others
    }
    orders.add(tuple(q["stem"] for q in first.payload))
    assert len(orders) == 4  # four examinees, four different papers/orders
    option_orders = {
        tuple(o for q in attempt_start(notice_confirmed=True, session=session, person=p).payload for o in q["options"])
        for p in others
    }
    assert len(option_orders) > 1


@pytest.mark.django_db
def test_editing_the_bank_after_start_does_not_change_the_attempt(cast: Any, exam: dict[str, Any]) -> None:
    attempt = attempt_start(notice_confirmed=True, session=exam["session"], person=cast.east.learner)
    aq = attempt.questions.get(
        qtype=QuestionType.SINGLE,
        position=min(attempt.questions.filter(qtype=QuestionType.SINGLE).values_list("position", flat=True)),
    )
    key_before = aq.answer
    Question.objects.filter(pk=aq.question_id).update(stem="改过的题干", answer="D", options=["x", "y", "z", "w"])
    attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=key_before, client_seq=1)
    result = attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE)
    aq = AttemptQuestion.objects.get(pk=aq.pk)
    assert aq.stem != "改过的题干"
    assert aq.is_correct is True
    assert result.attempt.score >= aq.score


@pytest.mark.django_db
def test_shuffled_options_keep_the_right_answer(cast: Any, exam: dict[str, Any]) -> None:
    attempt = attempt_start(notice_confirmed=True, session=exam["session"], person=cast.east.learner)
    for aq in attempt.questions.filter(qtype__in=[QuestionType.SINGLE, QuestionType.MULTIPLE]):
        bank_q = aq.question
        shown_key = {aq.options[ord(ch) - 65] for ch in aq.answer}
        original_key = {bank_q.options[ord(ch) - 65] for ch in bank_q.answer}
        assert shown_key == original_key
