"""An answer a question cannot take is a 400 naming the field, on every door, never a 500
or a partial write: the practice API and page, the lesson quiz and the exam autosave.

(A true/false practice answer of "A" used to reach the database as NULL: a 500.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from exams.models import AttemptQuestion
from exams.services.attempts import validate_answer
from exams.services.errors import BadAnswer
from question_bank import services
from question_bank.models import Bank, PracticeAnswer, PracticeSession, Question, WrongAnswer
from tests.conftest import Cast, login_client
from tests.question_bank.conftest import make_east_practice_bank
from tests.training.conftest import (
    World,
    _private_storage_and_cache,  # noqa: F401 - autouse: private files, cache
    make_quiz_bank,
    make_world,
    quiz_on_article,
    study,
)
from training.models import QuizAttempt
from training.services.crediting import quiz_attempt_open, quiz_attempt_submit

pytestmark = pytest.mark.django_db

# (question type, answers it cannot take)
BAD = {
    "true_false": ["A", "maybe", 3, {"a": 1}, ["正确"], "正确" * 20],
    "single": ["AB", "E", "Z", 3, ["A", 1], "甲", ""],
    "multiple": ["Q", {"a": 1}, None, "A" * 100],
    "fill_blank": [3, {"a": 1}, ["x" * 201], ["a", "b", "c"]],
}


@pytest.fixture
def bank(cast: Cast) -> Bank:
    return make_east_practice_bank(cast, code="answers", name="东区练习题库", file_name="answers.xlsx")


def _question(bank: Bank, qtype: str) -> Question:
    return Question.objects.get(bank=bank, type=qtype)


def _nothing_written(user: Any) -> None:
    assert not PracticeAnswer.objects.filter(user=user).exists()
    assert not WrongAnswer.objects.filter(user=user).exists()


@pytest.mark.parametrize(("qtype", "sent"), [(t, v) for t, values in BAD.items() for v in values])
def test_the_practice_api_refuses_it_naming_answer(cast: Cast, bank: Bank, qtype: str, sent: Any) -> None:
    user = cast.east.learner.user
    client = APIClient()
    client.force_authenticate(user)
    question = _question(bank, qtype)
    response = client.post(
        f"/api/v1/practice/questions/{question.pk}/answer/",
        {"answer": sent},
        format="json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == ["answer"]
    assert body["detail"].startswith("answer: ")
    _nothing_written(user)


def test_a_true_false_answer_in_words_is_still_read(cast: Cast, bank: Bank) -> None:
    user = cast.east.learner.user
    question = _question(bank, "true_false")
    for word in ("对", "错误", "TRUE", "false"):
        services.practice_answer(user=user, question=question, given=word)
    assert PracticeAnswer.objects.filter(user=user).count() == 4


def test_the_practice_service_refuses_it(cast: Cast, bank: Bank) -> None:
    user = cast.east.learner.user
    with pytest.raises(ValidationError) as info:
        services.practice_answer(user=user, question=_question(bank, "true_false"), given="A")
    assert list(info.value.message_dict) == ["answer"]
    _nothing_written(user)


@pytest.mark.parametrize(("qtype", "post"), [("true_false", {"choice": "A"}), ("single", {"choice": "H"}),
                                             ("single", {}), ("multiple", {"choice": ["A", "Z"]})])  # fmt: skip
def test_the_practice_page_refuses_it_and_asks_again(cast: Cast, bank: Bank, qtype: str, post: dict) -> None:
    user = cast.east.learner.user
    client = login_client(user)
    question = _question(bank, qtype)
    session = PracticeSession.objects.create(
        user=user, bank=bank, mode=PracticeSession.Mode.ORDER, question_ids=[question.pk]
    )
    response = client.post(
        reverse("question_bank:practice_question", args=[session.pk]),
        {"question": question.pk, **post},
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "data-answer-error" in page
    assert "data-answer-form" in page  # the question is asked again
    assert "data-answer>" not in page  # and its answer is not revealed
    _nothing_written(user)
    session.refresh_from_db()
    assert (session.position, session.correct_count) == (0, 0)


@pytest.fixture
def world(cast: Cast) -> World:
    return make_world(cast, due_date=None)


def test_the_lesson_quiz_refuses_it_naming_the_question(cast: Cast, world: World) -> None:
    quiz_bank = make_quiz_bank(cast)
    lesson = quiz_on_article(world, quiz_bank, count=3)
    learner = world.learner.user
    study(learner, lesson, position=100)
    attempt = quiz_attempt_open(user=learner, lesson=lesson)
    questions = list(Question.objects.filter(pk__in=attempt.question_ids))
    # Every kind of question gets a value it cannot take: a letter for true/false, a letter
    # outside the options, two answers for one blank (the draw decides which kinds come up).
    cannot_take = {"true_false": "A", "fill_blank": ["一", "二"]}
    stray = {q.pk: cannot_take.get(q.type, "Z") for q in questions}
    assert len(stray) == 3
    with pytest.raises(ValidationError) as info:
        quiz_attempt_submit(attempt=attempt, answers=stray)
    assert set(info.value.message_dict) == {f"q{pk}" for pk in stray}
    # The page names each blank's input q<id>_<n>: there, a blank too long for any answer.
    kinds = {q.pk: q.type for q in questions}
    web_stray = {
        (f"q{pk}_0" if kinds[pk] == "fill_blank" else f"q{pk}"): ("长" * 201 if kinds[pk] == "fill_blank" else value)
        for pk, value in stray.items()
    }
    page = login_client(learner).post(
        reverse("training:lesson_quiz", args=[lesson.pk]),
        {"attempt": attempt.pk, **web_stray},
        headers={"Accept-Language": "zh-hans"},
    )
    assert page.status_code == 400
    assert "data-question-error" in page.content.decode()
    attempt = QuizAttempt.objects.get(pk=attempt.pk)
    assert attempt.submitted_at is None
    assert attempt.answers in ({}, None, [])
    # unanswered questions still just count as wrong
    graded = quiz_attempt_submit(attempt=attempt, answers={})
    assert graded.submitted_at is not None
    assert graded.correct == 0


@pytest.mark.parametrize(("qtype", "sent"), [("true_false", "A"), ("true_false", "正确"), ("single", "E")])
def test_the_exam_autosave_refuses_it(qtype: str, sent: Any) -> None:
    aq = AttemptQuestion(qtype=qtype, options=["a", "b", "c", "d"], answer=True if qtype == "true_false" else "A")
    with pytest.raises(BadAnswer) as info:
        validate_answer(aq, sent)
    assert info.value.status == 400
    assert info.value.message
