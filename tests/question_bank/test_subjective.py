"""Subjective questions (简答题, 论述题, 案例分析…): imported with their reference answer, practised by
writing an answer and marking oneself, and never shown their reference before the learner has written."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from question_bank import exporters, importers, selectors, services
from question_bank.models import Bank, PracticeAnswer, PracticeSession, Question, WrongAnswer
from tests.conftest import login_client, make_staff
from tests.question_bank.conftest import ROWS, make_east_practice_bank, parse, xlsx_bytes

pytestmark = pytest.mark.django_db

REFERENCE = "先通风置换，再检测氧含量和有毒气体浓度，合格后方可进入，作业中持续监测并设专人监护。"
STEM = "简述进入受限空间作业前应做哪些准备。"


def _row(n: int, qtype: str, stem: str = STEM, answer: str = REFERENCE, *options: str) -> list[Any]:
    cells = [*options, "", "", "", ""][:4]
    return [n, qtype, stem, *cells, answer, "要点：通风、检测、监护。", "中", "受限空间", "危险化学品", "全员"]


# --- import ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["简答题", "论述题", "案例分析", "案例分析题", "问答题", "简述题", "主观题"])
def test_every_subjective_type_name_imports_with_its_reference_answer(name: str) -> None:
    result = parse(xlsx_bytes([_row(1, name)]))
    assert result.errors == []
    [question] = result.questions
    assert (question.type, question.answer, question.options) == ("subjective", REFERENCE, ())
    assert question.explanation == "要点：通风、检测、监护。"


def test_subjective_rows_that_cannot_be_practised_are_named() -> None:
    rows = [
        _row(1, "简答题", "没有参考答案的简答题？", ""),
        _row(2, "论述题", "参考答案只写了略的论述题？", "略"),
        _row(3, "简答题", "带选项的简答题？", "A", "甲", "乙"),
    ]
    errors = [(e.row, e.column, e.message) for e in parse(xlsx_bytes(rows)).errors]
    assert [(row, column) for row, column, _m in errors] == [(2, "答案"), (3, "答案"), (4, "选项A")]
    assert "needs its reference answer" in errors[0][2]
    assert "“略” is not a reference answer" in errors[1][2]
    assert "has no options" in errors[2][2]


def test_unknown_type_message_names_the_subjective_type() -> None:
    [error] = parse(xlsx_bytes([_row(1, "怪题")])).errors
    assert "简答题" in error.message


def test_a_bank_with_subjective_questions_round_trips_through_xlsx_and_csv() -> None:
    bank = services.bank_create(actor=None, code="rt", name="往返", owner=None)
    multiline = "第一，通风。\n第二，检测。\n第三，监护。"
    data = xlsx_bytes([*ROWS, _row(5, "简答题"), _row(6, "案例分析", "某罐区中毒事故案例，请分析原因。", multiline)])
    assert services.import_file(bank=bank, data=data, name="b.xlsx").created == 6
    case = Question.objects.get(bank=bank, stem__startswith="某罐区")
    assert case.answer == multiline
    assert case.answer_text == multiline
    for writer, name in ((exporters.export_xlsx, "e.xlsx"), (exporters.export_csv, "e.csv")):
        stream = io.BytesIO()
        writer(Question.objects.filter(bank=bank), stream)
        again = services.import_file(bank=bank, data=stream.getvalue(), name=name)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    # GIFT and Aiken have no form for a reference answer: those exports skip them, and say so.
    stream = io.BytesIO()
    assert exporters.export_gift(Question.objects.filter(bank=bank), stream) == (4, 2)
    assert REFERENCE not in stream.getvalue().decode()
    assert exporters.export_aiken(Question.objects.filter(bank=bank), io.BytesIO()) == (2, 4)


def test_the_database_refuses_a_subjective_question_with_options_or_without_a_reference() -> None:
    bank = services.bank_create(actor=None, code="db", name="约束", owner=None)
    for options, answer in ((["甲", "乙"], REFERENCE), ([], "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Question.objects.create(
                bank=bank, type="subjective", stem=STEM, options=options, answer=answer, fingerprint=str(answer)
            )


# --- editing -----------------------------------------------------------------------------


@pytest.fixture
def bank(cast: Any) -> Bank:
    rows = [*ROWS, _row(5, "简答题")]
    return make_east_practice_bank(cast, code="subj", name="主观题练习库", rows=rows, file_name="b.xlsx")


@pytest.fixture
def subjective(bank: Bank) -> Question:
    return Question.objects.get(bank=bank, type="subjective")


def _edit_post(question: Question, **changes: str) -> dict[str, Any]:
    values = {
        "type": question.type,
        "stem": question.stem,
        "answer": question.answer_text,
        "explanation": question.explanation,
        "difficulty": question.difficulty,
        "knowledge_point": question.knowledge_point,
        "industry": question.industry_tags,
        "post": question.post_tags,
    }
    values.update({f"option_{letter.lower()}": text for letter, text in question.lettered_options})
    return {**values, **changes}


def test_the_editor_changes_a_reference_answer(cast: Any, subjective: Question) -> None:
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:question_edit", args=[subjective.pk])
    page = client.get(url).content.decode()
    assert "主观题" in page
    assert REFERENCE in page
    response = client.post(url, _edit_post(subjective, answer="通风、检测、监护。\n缺一不可。"))
    assert response.status_code == 302
    subjective.refresh_from_db()
    assert (subjective.answer, subjective.version) == ("通风、检测、监护。\n缺一不可。", 2)
    detail = client.get(reverse("question_bank:bank_detail", args=[subjective.bank_id])).content.decode()
    assert "<span data-reference>通风、检测、监护。<br>缺一不可。</span>" in detail


def test_a_machine_graded_question_cannot_be_turned_subjective(cast: Any, bank: Bank) -> None:
    single = Question.objects.get(bank=bank, type="single")
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:question_edit", args=[single.pk])
    response = client.post(
        url,
        _edit_post(
            single, type="subjective", answer="火警电话是119。", option_a="", option_b="", option_c="", option_d=""
        ),
    )
    assert response.status_code == 200
    assert "不能改为主观题" in response.content.decode()
    single.refresh_from_db()
    assert (single.type, single.answer, single.version) == ("single", "B", 1)


def test_the_admin_adds_a_subjective_question_with_its_reference_answer(cast: Any, bank: Bank) -> None:
    user = make_staff(
        cast.east.training_admin, "add_question", "change_question", "view_question", apps=["question_bank"]
    )
    client = login_client(user)
    form = {
        "bank": bank.pk,
        "type": "subjective",
        "stem": "简述动火作业“三不动火”。",
        "options": "[]",
        "answer_text": "没有动火作业票不动火；防火措施不落实不动火；监火人不在现场不动火。",
        "explanation": "",
        "difficulty": 3,
        "knowledge_point": "动火作业",
        "industry_tags": "",
        "post_tags": "",
        "source": "",
        "is_active": "on",
    }
    response = client.post("/admin/question_bank/question/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    added = Question.objects.get(stem="简述动火作业“三不动火”。")
    assert (added.type, added.answer, added.options) == ("subjective", form["answer_text"], [])
    assert added.fingerprint == importers.fingerprint("subjective", added.stem, [], added.answer)
    # The same checks as an import: options on a subjective question are refused, naming them.
    refused = client.post("/admin/question_bank/question/add/", {**form, "stem": "另一题", "options": '["甲", "乙"]'})
    assert refused.status_code == 200
    assert "主观题" in refused.content.decode()
    assert "没有选项" in refused.content.decode()
    assert not Question.objects.filter(stem="另一题").exists()


# --- practice (web) ----------------------------------------------------------------------


def _session(client: Any, bank: Bank, **extra: str) -> PracticeSession:
    response = client.post(
        reverse("question_bank:practice_home"),
        {"bank": bank.pk, "mode": "order", "knowledge_point": "受限空间", **extra},
    )
    assert response.status_code == 302
    return PracticeSession.objects.latest("pk")


def test_learner_writes_then_sees_the_reference_then_marks_themselves(
    cast: Any, bank: Bank, subjective: Question
) -> None:
    user = cast.east.learner.user
    client = login_client(user)
    session = _session(client, bank)
    assert subjective.pk in session.question_ids
    session.question_ids = [subjective.pk]
    session.save()
    url = reverse("question_bank:practice_question", args=[session.pk])

    before = client.get(url).content.decode()
    assert STEM in before
    assert "data-answer-text" in before
    assert REFERENCE not in before
    assert "要点：通风" not in before

    # An empty answer reveals nothing.
    empty = client.post(url, {"question": subjective.pk, "text": "   "})
    assert empty.status_code == 400
    assert REFERENCE not in empty.content.decode()
    assert "请先写下你的答案" in empty.content.decode()
    # Nor does one too long to keep; what was written stays in the box.
    long = client.post(url, {"question": subjective.pk, "text": "长" * 5001})
    assert long.status_code == 400
    assert REFERENCE not in long.content.decode()
    assert "长" * 5001 + "</textarea>" in long.content.decode()
    # Nor does a self-mark sent before any answer.
    early = client.post(url, {"question": subjective.pk, "mastered": "1"})
    assert early.status_code == 400
    assert REFERENCE not in early.content.decode()
    assert not PracticeAnswer.objects.filter(user=user).exists()

    revealed = client.post(url, {"question": subjective.pk, "text": "先通风，再检测。"}).content.decode()
    assert REFERENCE in revealed
    assert "先通风，再检测。" in revealed
    assert "要点：通风" in revealed
    assert "data-self-mark" in revealed
    assert "掌握了" in revealed
    assert "没掌握" in revealed
    pending = PracticeAnswer.objects.get(user=user, question=subjective)
    assert (pending.given, pending.is_correct) == ("先通风，再检测。", None)
    session.refresh_from_db()
    assert session.position == 0  # not done until marked
    # A reload shows the same page: the answer is written, the reference may stay on screen.
    assert "data-self-mark" in client.get(url).content.decode()

    marked = client.post(url, {"question": subjective.pk, "mastered": "0"}).content.decode()
    assert 'data-result="not-mastered"' in marked
    assert "错题本" in marked
    assert PracticeAnswer.objects.get(user=user, question=subjective).is_correct is False
    assert WrongAnswer.objects.filter(user=user, question=subjective).exists()
    session.refresh_from_db()
    assert (session.position, session.correct_count) == (1, 0)
    # Marking again does not count twice.
    client.post(url, {"question": subjective.pk, "mastered": "1"})
    session.refresh_from_db()
    assert (session.position, session.correct_count) == (1, 0)
    assert "data-done-correct>0<" in client.get(url).content.decode()


def test_mastered_from_the_wrong_answer_book_leaves_it(cast: Any, bank: Bank, subjective: Question) -> None:
    user = cast.east.learner.user
    services.practice_answer(user=user, question=subjective, given="不会")
    services.practice_self_mark(user=user, question=subjective, mastered=False)
    client = login_client(user)
    session = _session(client, bank, mode="wrong", knowledge_point="")
    assert session.question_ids == [subjective.pk]
    url = reverse("question_bank:practice_question", args=[session.pk])
    client.post(url, {"question": subjective.pk, "text": "通风、检测、监护。"})
    page = client.post(url, {"question": subjective.pk, "mastered": "1"}).content.decode()
    assert 'data-result="mastered"' in page
    assert not WrongAnswer.objects.filter(user=user, question=subjective).exists()
    accuracy = {r["knowledge_point"]: (r["correct"], r["total"]) for r in selectors.accuracy_by_knowledge_point(user)}
    assert accuracy["受限空间"] == (1, 2)


# --- practice (API) ----------------------------------------------------------------------


def test_api_reveals_the_reference_only_after_the_learner_answers(cast: Any, bank: Bank, subjective: Question) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(cast.east.learner.user)
    listed = client.get("/api/v1/practice/questions/", {"bank": bank.pk, "type": "subjective"}).json()
    item = next(i for i in listed["results"] if i["id"] == subjective.pk)
    assert item["type"] == "subjective"
    assert item["options"] == []
    assert item["blanks"] == 0
    assert REFERENCE not in str(listed)

    base = f"/api/v1/practice/questions/{subjective.pk}"
    early = client.post(f"{base}/self_mark/", {"mastered": True}, format="json")
    assert early.status_code == 400
    assert REFERENCE not in early.content.decode()
    blank = client.post(f"{base}/answer/", {"answer": ""}, format="json")
    assert blank.status_code == 400
    assert REFERENCE not in blank.content.decode()
    wrong_shape = client.post(f"{base}/answer/", {"answer": ["A"]}, format="json")
    assert wrong_shape.status_code == 400

    answered = client.post(f"{base}/answer/", {"answer": " 通风、检测 "}, format="json").json()
    assert answered == {
        "correct": None,
        "given": "通风、检测",
        "answer": REFERENCE,
        "answer_text": REFERENCE,
        "explanation": "要点：通风、检测、监护。",
    }
    marked = client.post(f"{base}/self_mark/", {"mastered": True}, format="json").json()
    assert marked["correct"] is True
    assert marked["given"] == "通风、检测"
    accuracy = client.get("/api/v1/practice/questions/accuracy/").json()
    assert {r["knowledge_point"]: r["rate"] for r in accuracy} == {"受限空间": 100}
    # self_mark is for subjective questions only
    single = Question.objects.get(bank=bank, type="single")
    assert (
        client.post(f"/api/v1/practice/questions/{single.pk}/self_mark/", {"mastered": True}, format="json").status_code
        == 400
    )


def test_an_exam_only_bank_keeps_its_reference_answers(cast: Any, bank: Bank, subjective: Question) -> None:
    services.bank_update(actor=None, bank=bank, data={"purpose": Bank.Purpose.EXAM_ONLY})
    with pytest.raises(services.PracticeRefused):
        services.practice_answer(user=cast.east.learner.user, question=subjective, given="通风")
    assert not PracticeAnswer.objects.exists()
