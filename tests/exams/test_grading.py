from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exams.models import AttemptQuestion
from exams.services.attempts import validate_answer
from exams.services.errors import BadAnswer
from exams.services.grading import grade_question
from question_bank.models import QuestionType


def aq(qtype: str, answer: Any, given: Any, score: str = "4", options: int = 4) -> AttemptQuestion:
    return AttemptQuestion(
        qtype=qtype, answer=answer, given=given, score=Decimal(score), options=[f"o{i}" for i in range(options)]
    )


@pytest.mark.parametrize(
    ("qtype", "answer", "given", "correct", "points"),
    [
        (QuestionType.SINGLE, "B", "B", True, "4"),
        (QuestionType.SINGLE, "B", "C", False, "0"),
        (QuestionType.SINGLE, "B", None, False, "0"),
        (QuestionType.TRUE_FALSE, False, False, True, "4"),
        (QuestionType.TRUE_FALSE, False, True, False, "0"),
        (QuestionType.MULTIPLE, "ACD", "ACD", True, "4"),
        (QuestionType.MULTIPLE, "ACD", "AC", False, "0"),
        (QuestionType.MULTIPLE, "ACD", "ABCD", False, "0"),
        (QuestionType.FILL_BLANK, [["119"], ["火警", "火灾报警"]], ["119", "火灾报警"], True, "4"),
        (QuestionType.FILL_BLANK, [["119"], ["火警", "火灾报警"]], [" １１９ ", "火警"], True, "4"),
        (QuestionType.FILL_BLANK, [["ABC"], ["x"]], ["abc", "X"], True, "4"),
        (QuestionType.FILL_BLANK, [["119"], ["火警"]], ["120", "火警"], False, "0"),
        (QuestionType.FILL_BLANK, [["119"], ["火警"]], ["119"], False, "0"),
    ],
)
def test_all_or_nothing_grading(qtype: str, answer: Any, given: Any, correct: bool, points: str) -> None:
    assert grade_question(aq(qtype, answer, given), partial_credit=False) == (correct, Decimal(points))


@pytest.mark.parametrize(
    ("given", "points"),
    [("ACD", "3"), ("AC", "2.0"), ("A", "1.0"), ("AB", "0"), ("ABCD", "0"), (None, "0")],
)
def test_partial_credit_for_multiple_choice_only_without_a_wrong_option(given: str | None, points: str) -> None:
    _correct, awarded = grade_question(aq(QuestionType.MULTIPLE, "ACD", given, score="3"), partial_credit=True)
    assert awarded == Decimal(points)


@pytest.mark.parametrize(
    ("qtype", "sent", "canonical"),
    [
        (QuestionType.SINGLE, "b", "B"),
        (QuestionType.MULTIPLE, "DCA", "ACD"),
        (QuestionType.MULTIPLE, ["C", "A"], "AC"),
        (QuestionType.TRUE_FALSE, True, True),
        (QuestionType.FILL_BLANK, [" 甲 ", "乙"], ["甲", "乙"]),
    ],
)
def test_answers_are_stored_in_canonical_form(qtype: str, sent: Any, canonical: Any) -> None:
    answer = [["x"], ["y"]] if qtype == QuestionType.FILL_BLANK else "A"
    assert validate_answer(aq(qtype, answer, None), sent) == canonical


@pytest.mark.parametrize(
    ("qtype", "sent"),
    [
        (QuestionType.SINGLE, "AB"),
        (QuestionType.SINGLE, "E"),
        (QuestionType.SINGLE, 3),
        (QuestionType.MULTIPLE, "AAB"),
        (QuestionType.MULTIPLE, {"a": 1}),
        (QuestionType.TRUE_FALSE, "yes"),
        (QuestionType.FILL_BLANK, "甲"),
        (QuestionType.FILL_BLANK, ["only one"]),
        (QuestionType.FILL_BLANK, ["x" * 201, "y"]),
    ],
)
def test_malformed_answers_are_refused_with_a_reason(qtype: str, sent: Any) -> None:
    answer = [["x"], ["y"]] if qtype == QuestionType.FILL_BLANK else "A"
    with pytest.raises(BadAnswer) as info:
        validate_answer(aq(qtype, answer, None), sent)
    assert info.value.message
