"""Issue 12, item 5: an exam-only bank's questions never reach practice, the
wrong-answer book or a lesson quiz, on any door; exams still draw from it, and
managers and supervisors still browse it.

Practice reveals each answer after one try, so a bank whose questions sit in an
exam paper must not be practised before the exam.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from question_bank import selectors, services
from question_bank.models import Bank, PracticeAnswer, PracticeSession, Question, WrongAnswer
from tests.conftest import Cast, login_client
from tests.question_bank.conftest import ROWS, xlsx_bytes
from tests.training.conftest import (
    World,
    _private_storage_and_cache,  # noqa: F401 - autouse: private files, cache
    build_course,
    make_quiz_bank,
)
from tests.training.test_quiz import _study
from training import services as training_services
from training.forms import LessonForm
from training.models import Lesson, QuizAttempt

pytestmark = pytest.mark.django_db

EXAM_STEMS = [row[2] for row in ROWS]


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _bank(cast: Cast, code: str, purpose: str | None, rows: list[list[Any]]) -> Bank:
    fields = {} if purpose is None else {"purpose": purpose}
    bank = services.bank_create(
        actor=None,
        code=code,
        name=f"东区{code}",
        owner=cast.east.provider,
        visibility=Bank.Visibility.SHARED,
        shared_with=cast.east.jurisdiction,
        **fields,
    )
    services.import_file(bank=bank, data=xlsx_bytes(rows), name=f"{code}.xlsx")
    return bank


@pytest.fixture
def exam_bank(cast: Cast) -> Bank:
    """Shared with the east district, created without a purpose: exam-only by default."""
    return _bank(cast, "exam", None, ROWS)


@pytest.fixture
def practice_bank(cast: Cast) -> Bank:
    rows = [[row[0], row[1], f"练习：{row[2]}", *row[3:]] for row in ROWS]
    return _bank(cast, "practice", Bank.Purpose.PRACTICE, rows)


@pytest.fixture
def world(cast: Cast) -> World:
    """A course assigned to the east learner (as in tests/training)."""
    course = build_course(cast)
    lessons = list(Lesson.objects.filter(chapter__course=course).order_by("order"))
    assignment = training_services.assignment_create(learner=cast.east.learner.user, course=course, due_date=None)
    return World(course, lessons[0], lessons[1], lessons[2], cast.east.learner, assignment)


def _no_exam_stem(text: str) -> None:
    for stem in EXAM_STEMS:
        assert stem not in text.replace("练习：" + stem, ""), stem


def test_a_new_bank_is_exam_only_unless_its_creator_opens_it(cast: Cast, exam_bank: Bank) -> None:
    assert exam_bank.purpose == Bank.Purpose.EXAM_ONLY
    client = api(cast.east.training_admin)
    created = client.post("/api/v1/question-banks/", {"code": "a", "name": "a", "owner": "east-center"}, format="json")
    assert created.status_code == 201
    assert created.json()["purpose"] == "exam_only"
    opened = client.post(
        "/api/v1/question-banks/",
        {"code": "b", "name": "b", "owner": "east-center", "purpose": "practice"},
        format="json",
    )
    assert opened.json()["purpose"] == "practice"
    web = login_client(cast.east.training_admin).post(
        reverse("question_bank:bank_create"),
        {"code": "c", "name": "c", "owner": cast.east.provider.pk, "visibility": "private"},
    )
    assert web.status_code == 302
    assert Bank.objects.get(code="c").purpose == Bank.Purpose.EXAM_ONLY


def test_web_practice_never_offers_or_shows_it(cast: Cast, exam_bank: Bank, practice_bank: Bank) -> None:
    learner = cast.east.learner.user
    client = login_client(learner)
    home = client.get(reverse("question_bank:practice_home")).content.decode()
    assert practice_bank.name in home
    assert exam_bank.name not in home
    refused = client.post(reverse("question_bank:practice_home"), {"bank": exam_bank.pk, "mode": "order"})
    assert refused.status_code == 200
    assert not PracticeSession.objects.filter(bank=exam_bank).exists()
    # A session made while the bank was still open to practice shows none of its questions now.
    ids = list(Question.objects.filter(bank=exam_bank).values_list("pk", flat=True))
    old = PracticeSession.objects.create(user=learner, bank=exam_bank, question_ids=ids)
    url = reverse("question_bank:practice_question", args=[old.pk])
    answered = client.post(url, {"question": ids[0], "choice": "B"})
    _no_exam_stem(answered.content.decode())
    for _question in ids:  # each question is skipped in turn (a redirect to the same page)
        page = client.get(url)
        _no_exam_stem(page.content.decode())
        if page.status_code == 200:
            break
    assert page.status_code == 200
    assert not PracticeAnswer.objects.exists()


def test_practice_api_never_serves_it(cast: Cast, exam_bank: Bank, practice_bank: Bank) -> None:
    client = api(cast.east.learner.user)
    banks = client.get("/api/v1/practice/banks/").json()
    assert [b["code"] for b in banks["results"]] == ["practice"]
    assert banks["results"][0]["purpose"] == "practice"
    assert client.get("/api/v1/practice/questions/", {"bank": exam_bank.pk}).json()["count"] == 0
    listed = client.get("/api/v1/practice/questions/", {"page_size": 100}).content.decode()
    _no_exam_stem(listed)
    question = Question.objects.filter(bank=exam_bank, type="single").get()
    assert client.get(f"/api/v1/practice/questions/{question.pk}/").status_code == 404
    answer = client.post(f"/api/v1/practice/questions/{question.pk}/answer/", {"answer": "B"}, format="json")
    assert answer.status_code == 404
    assert "火警119" not in answer.content.decode()  # the explanation
    assert not PracticeAnswer.objects.exists()


def test_practice_services_refuse_it(cast: Cast, exam_bank: Bank) -> None:
    learner = cast.east.learner.user
    question = Question.objects.filter(bank=exam_bank, type="single").get()
    with pytest.raises(services.PracticeRefused):
        services.practice_start(user=learner, bank=exam_bank, questions=Question.objects.all(), mode="order")
    with pytest.raises(services.PracticeRefused):
        services.practice_answer(user=learner, question=question, given="A")
    assert not PracticeSession.objects.exists()
    assert not PracticeAnswer.objects.exists()
    assert not WrongAnswer.objects.exists()


def test_the_wrong_answer_book_drops_a_bank_turned_exam_only(cast: Cast, practice_bank: Bank) -> None:
    learner = cast.east.learner.user
    client = api(learner)
    question = Question.objects.filter(bank=practice_bank, type="single").get()
    wrong = client.post(f"/api/v1/practice/questions/{question.pk}/answer/", {"answer": "A"}, format="json")
    assert wrong.json()["correct"] is False
    assert client.get("/api/v1/practice/questions/", {"mode": "wrong"}).json()["count"] == 1
    services.bank_update(actor=cast.east.training_admin, bank=practice_bank, data={"purpose": "exam_only"})
    assert client.get("/api/v1/practice/questions/", {"mode": "wrong"}).json()["count"] == 0
    assert selectors.wrong_answer_count(learner) == 0
    web = login_client(learner)
    web.post(reverse("question_bank:practice_home"), {"bank": practice_bank.pk, "mode": "wrong"})
    assert not PracticeSession.objects.exists()
    assert 'data-wrong-count="1"' not in web.get(reverse("question_bank:practice_home")).content.decode()


# --- lesson quizzes ------------------------------------------------------------------


def test_lesson_quiz_choices_exclude_it(cast: Cast, world: World, exam_bank: Bank) -> None:
    quiz_bank = make_quiz_bank(cast)
    form = LessonForm(user=cast.east.training_admin, course=world.course, kind=Lesson.Kind.ARTICLE)
    choices = dict(form.fields["quiz_bank"].choices)
    assert quiz_bank.pk in choices
    assert exam_bank.pk not in choices
    # Nor for a lesson that already names it (set through the admin, or an old row).
    Lesson.objects.filter(pk=world.article.pk).update(quiz_bank_id=exam_bank.pk, quiz_question_count=3)
    world.article.refresh_from_db()
    form = LessonForm(
        user=cast.east.training_admin, course=world.course, kind=Lesson.Kind.ARTICLE, lesson=world.article
    )
    assert exam_bank.pk not in dict(form.fields["quiz_bank"].choices)
    posted = LessonForm(
        {
            "chapter": world.article.chapter_id,
            "title": "t",
            "credit_minutes": 1,
            "body_html": "<p>x</p>",
            "quiz_bank": exam_bank.pk,
            "quiz_question_count": 3,
            "quiz_pass_percent": 60,
        },
        user=cast.east.training_admin,
        course=world.course,
        kind=Lesson.Kind.ARTICLE,
    )
    assert not posted.is_valid()
    assert "quiz_bank" in posted.errors


def test_the_quiz_service_and_page_refuse_it(cast: Cast, world: World, exam_bank: Bank) -> None:
    lesson = world.article
    Lesson.objects.filter(pk=lesson.pk).update(quiz_bank_id=exam_bank.pk, quiz_question_count=3)
    lesson.refresh_from_db()
    learner = world.learner.user
    _study(learner, lesson, position=100)
    with pytest.raises(training_services.QuizUnavailable):
        training_services.quiz_attempt_open(user=learner, lesson=lesson)
    page = login_client(learner).get(f"/training/lessons/{lesson.pk}/quiz/").content.decode()
    assert 'data-quiz-state="unavailable"' in page
    _no_exam_stem(page)
    assert not QuizAttempt.objects.exists()


def test_an_open_quiz_attempt_is_refused_once_the_bank_turns_exam_only(cast: Cast, world: World) -> None:
    bank = make_quiz_bank(cast)
    lesson = world.article
    Lesson.objects.filter(pk=lesson.pk).update(quiz_bank_id=bank.pk, quiz_question_count=3)
    lesson.refresh_from_db()
    learner = world.learner.user
    _study(learner, lesson, position=100)
    assert training_services.quiz_attempt_open(user=learner, lesson=lesson).question_ids
    services.bank_update(actor=None, bank=bank, data={"purpose": Bank.Purpose.EXAM_ONLY})
    with pytest.raises(training_services.QuizUnavailable):
        training_services.quiz_attempt_open(user=learner, lesson=lesson)
    page = login_client(learner).get(f"/training/lessons/{lesson.pk}/quiz/").content.decode()
    assert "第1题" not in page


# --- exams, managers and supervisors -------------------------------------------------


def test_an_exam_draws_from_it(cast: Cast, exam_bank: Bank) -> None:
    from exams import services as exams

    paper = exams.paper_create_rules(
        provider=cast.east.provider,
        name="考试",
        rules=[exams.RuleSpec(qtype="single", count=1, score=Decimal(5), banks=[exam_bank])],
    )
    drawn = exams.paper_preview(paper=paper, seed=1)
    assert [q["stem"] for q in drawn] == ["我国的火灾报警电话是？"]


def test_managers_and_supervisors_still_browse_it(cast: Cast, exam_bank: Bank) -> None:
    page = login_client(cast.east.training_admin).get(
        reverse("question_bank:bank_detail", args=[exam_bank.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200
    assert "仅限考试" in page.content.decode()
    assert "我国的火灾报警电话是？" in page.content.decode()
    listing = login_client(cast.east.bureau).get(reverse("question_bank:bank_list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "仅限考试" in listing.content.decode()
    assert api(cast.east.bureau).get("/api/v1/questions/", {"bank": exam_bank.pk}).json()["count"] == len(ROWS)


# --- the demo ------------------------------------------------------------------------


def test_the_demo_exam_draws_on_questions_the_demo_learner_cannot_practise(db: None, settings: Any) -> None:
    from exams.models import PaperTemplate
    from organizations.models import Person

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    learner = Person.objects.get(user__username="demo_learner").user
    practised = selectors.practice_questions_for(learner)
    assert practised.count() > 50  # still a bank to practise on
    paper = PaperTemplate.objects.get(name="新员工岗前安全培训试卷（示范）")
    banks = {bank for rule in paper.rules.all() for bank in rule.banks.all()}
    assert banks
    assert {bank.purpose for bank in banks} == {Bank.Purpose.EXAM_ONLY}
    exam_questions = Question.objects.filter(bank__in=banks, is_active=True)
    assert exam_questions.count() >= 20
    assert not set(exam_questions.values_list("stem", flat=True)) & set(practised.values_list("stem", flat=True))
    assert not set(selectors.banks_practisable_by(learner)) & banks
    # Seeding again changes nothing.
    call_command("seed_demo", verbosity=0)
    assert selectors.practice_questions_for(learner).count() == practised.count()
