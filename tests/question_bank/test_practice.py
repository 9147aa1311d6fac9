"""考试练习: learners practise on shared banks, see answers only after answering, keep a wrong-answer book."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from question_bank import selectors, services
from question_bank.models import Bank, PracticeAnswer, PracticeSession, Question, WrongAnswer
from tests.conftest import login_client
from tests.question_bank.conftest import ROWS, xlsx_bytes

pytestmark = pytest.mark.django_db


def _start(client: Any, bank: Bank, mode: str = "order", **extra: str) -> PracticeSession:
    response = client.post(reverse("question_bank:practice_home"), {"bank": bank.pk, "mode": mode, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return PracticeSession.objects.latest("pk")


def _right_post(question: Question) -> dict[str, Any]:
    if question.type == "fill_blank":
        return {f"blank{i}": blank[-1] for i, blank in enumerate(question.answer)}
    if question.type == "true_false":
        return {"choice": "正确" if question.answer else "错误"}
    return {"choice": list(question.answer)}


def _wrong_post(question: Question) -> dict[str, Any]:
    if question.type == "fill_blank":
        return {"blank0": "不知道"}
    if question.type == "true_false":
        return {"choice": "错误" if question.answer else "正确"}
    return {"choice": ["D"] if question.answer != "D" else ["A"]}


def test_practice_in_order_reveals_answer_only_after_answering(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.learner.user)
    session = _start(client, east_bank)
    assert session.total == 4
    url = reverse("question_bank:practice_question", args=[session.pk])
    first = Question.objects.get(pk=session.question_ids[0])
    before = client.get(url).content.decode()
    assert first.stem in before
    assert "data-answer>" not in before
    assert first.explanation not in before
    after = client.post(url, {"question": first.pk, **_wrong_post(first)}).content.decode()
    assert 'data-result="wrong"' in after
    assert first.explanation in after
    assert "119" in after
    assert WrongAnswer.objects.filter(user=cast.east.learner.user, question=first).exists()
    # answering the same question twice does not count twice
    client.post(url, {"question": first.pk, **_right_post(first)})
    for pk in session.question_ids[1:]:
        question = Question.objects.get(pk=pk)
        page = client.post(url, {"question": pk, **_right_post(question)}).content.decode()
        assert 'data-result="correct"' in page, question.type
    done = client.get(url).content.decode()
    assert "data-done-correct>3<" in done
    assert PracticeAnswer.objects.filter(user=cast.east.learner.user).count() == 4


def test_accuracy_per_knowledge_point(cast: Any, east_bank: Bank) -> None:
    user = cast.east.learner.user
    questions = {q.type: q for q in Question.objects.filter(bank=east_bank)}
    services.practice_answer(user=user, question=questions["single"], given="B")
    services.practice_answer(user=user, question=questions["single"], given="A")
    services.practice_answer(user=user, question=questions["multiple"], given=["A", "B", "C"])
    services.practice_answer(user=user, question=questions["fill_blank"], given=["预防为主 "])
    rates = {
        row["knowledge_point"]: (row["correct"], row["total"], row["rate"])
        for row in selectors.accuracy_by_knowledge_point(user)
    }
    assert rates == {"消防器材": (1, 2, 50), "动火作业": (1, 1, 100), "安全生产法": (1, 1, 100)}
    page = login_client(user).get(reverse("question_bank:practice_home")).content.decode()
    assert "消防器材" in page
    assert "50%" in page


def test_wrong_answer_book_mode_and_clearing(cast: Any, east_bank: Bank) -> None:
    user = cast.east.learner.user
    client = login_client(user)
    single = Question.objects.get(bank=east_bank, type="single")
    services.practice_answer(user=user, question=single, given="A")
    session = _start(client, east_bank, mode="wrong")
    assert session.question_ids == [single.pk]
    url = reverse("question_bank:practice_question", args=[session.pk])
    client.post(url, {"question": single.pk, "choice": "B"})
    assert not WrongAnswer.objects.filter(user=user).exists()


def test_filter_by_knowledge_point_and_industry(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.learner.user)
    by_kp = _start(client, east_bank, knowledge_point="受限空间")
    assert [Question.objects.get(pk=pk).type for pk in by_kp.question_ids] == ["true_false"]
    by_industry = _start(client, east_bank, industry="冶金")
    assert [Question.objects.get(pk=pk).type for pk in by_industry.question_ids] == ["multiple"]
    random_session = _start(client, east_bank, mode="random")
    assert sorted(random_session.question_ids) == sorted(
        Question.objects.filter(bank=east_bank).values_list("pk", flat=True)
    )


def test_retired_questions_are_not_practised(cast: Any, east_bank: Bank) -> None:
    single = Question.objects.get(bank=east_bank, type="single")
    services.question_set_active(question=single, active=False)
    session = _start(login_client(cast.east.learner.user), east_bank)
    assert single.pk not in session.question_ids
    assert session.total == 3


def test_platform_bank_open_to_all_and_private_bank_to_none(cast: Any) -> None:
    practice = Bank.Purpose.PRACTICE
    platform = services.bank_create(
        actor=None,
        code="platform",
        name="平台公共题库",
        owner=None,
        visibility=Bank.Visibility.SHARED,
        purpose=practice,
    )
    private = services.bank_create(
        actor=None, code="private", name="东区内部题库", owner=cast.east.provider, purpose=practice
    )
    for bank in (platform, private):
        services.import_file(bank=bank, data=xlsx_bytes(ROWS), name="b.xlsx")
    for learner in (cast.east.learner, cast.west.learner):
        banks = set(selectors.banks_practisable_by(learner.user))
        assert platform in banks
        assert private not in banks


def test_only_learners_in_the_shared_subtree_practise(cast: Any, east_bank: Bank) -> None:
    west = login_client(cast.west.learner.user)
    page = west.get(reverse("question_bank:practice_home")).content.decode()
    assert east_bank.name not in page
    response = west.post(reverse("question_bank:practice_home"), {"bank": east_bank.pk, "mode": "order"})
    assert response.status_code == 200
    assert not PracticeSession.objects.exists()
    # someone else's session is not found
    session = _start(login_client(cast.east.learner.user), east_bank)
    for user in (cast.west.learner.user, cast.outsider, cast.east.training_admin):
        assert login_client(user).get(reverse("question_bank:practice_question", args=[session.pk])).status_code == 404
    # people who are not learners have no practice page
    assert login_client(cast.outsider).get(reverse("question_bank:practice_home")).status_code == 403


def test_practice_never_touches_exam_data(cast: Any, east_bank: Bank) -> None:
    """Practice writes only practice rows: the question itself (what exams snapshot) is unchanged."""
    question = Question.objects.get(bank=east_bank, type="single")
    before = Question.objects.filter(pk=question.pk).values().get()
    services.practice_answer(user=cast.east.learner.user, question=question, given="A")
    assert Question.objects.filter(pk=question.pk).values().get() == before
