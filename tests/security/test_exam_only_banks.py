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
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core import registries
from question_bank import selectors, services
from question_bank.models import Bank, PracticeAnswer, PracticeSession, Question, WrongAnswer
from tests.conftest import Cast, login_client, make_staff
from tests.question_bank.conftest import ROWS, xlsx_bytes
from tests.training.conftest import (
    World,
    _private_storage_and_cache,  # noqa: F401 - autouse: private files, cache
    article_lesson,
    build_course,
    make_quiz_bank,
    make_world,
    quiz_on_article,
    study,
)
from training.forms import LessonForm
from training.models import Lesson, QuizAttempt
from training.services.content import lesson_create, lesson_set_retired, lesson_update
from training.services.crediting import quiz_attempt_open
from training.services.errors import QuizUnavailable

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}

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
    return make_world(cast, due_date=None)


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
    lesson = quiz_on_article(world, exam_bank, count=3)
    learner = world.learner.user
    study(learner, lesson, position=100)
    with pytest.raises(QuizUnavailable):
        quiz_attempt_open(user=learner, lesson=lesson)
    page = login_client(learner).get(f"/training/lessons/{lesson.pk}/quiz/").content.decode()
    assert 'data-quiz-state="unavailable"' in page
    _no_exam_stem(page)
    assert not QuizAttempt.objects.exists()


def test_an_open_quiz_attempt_is_refused_once_the_bank_turns_exam_only(cast: Cast, world: World) -> None:
    bank = make_quiz_bank(cast)
    lesson = quiz_on_article(world, bank, count=3)
    learner = world.learner.user
    study(learner, lesson, position=100)
    assert quiz_attempt_open(user=learner, lesson=lesson).question_ids
    # bank_update now refuses this while the lesson quizzes from it (tests below); a bank switched
    # another way (a row written before that rule, here a raw update) still never reaches the quiz.
    Bank.objects.filter(pk=bank.pk).update(purpose=Bank.Purpose.EXAM_ONLY)
    with pytest.raises(QuizUnavailable):
        quiz_attempt_open(user=learner, lesson=lesson)
    page = login_client(learner).get(f"/training/lessons/{lesson.pk}/quiz/").content.decode()
    assert "第1题" not in page


# --- exams, managers and supervisors -------------------------------------------------


def test_an_exam_draws_from_it(cast: Cast, exam_bank: Bank) -> None:
    from exams.services.papers import RuleSpec, paper_create_rules, paper_preview

    paper = paper_create_rules(
        provider=cast.east.provider,
        name="考试",
        rules=[RuleSpec(qtype="single", count=1, score=Decimal(5), banks=[exam_bank])],
    )
    drawn = paper_preview(paper=paper, seed=1)
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
    from demo.exams import PAPER_NAME
    from exams.models import PaperTemplate
    from organizations.models import Person

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    learner = Person.objects.get(user__username="demo_learner").user
    practised = selectors.practice_questions_for(learner)
    assert practised.count() > 50  # still a bank to practise on
    paper = PaperTemplate.objects.get(name=PAPER_NAME)
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


# --- saving a lesson's quiz bank: the rule in the training service, on every door -----------
#
# The quiz bank is checked when a lesson is saved (training.services.content.lesson_check_quiz_bank):
# an exam-only bank, a bank that does not exist, or one the actor may not use for quizzes is
# refused with a ValidationError on ``quiz_bank`` and nothing is written. Doors: the service
# (lesson_create / lesson_update), the course builder's pages, the Django admin's lesson form
# (the bank is a raw id there). The training API has no lesson writes.

EXAM_ONLY_MESSAGE = "for exams only"


def _lesson_row(lesson: Lesson) -> tuple[Any, ...]:
    return tuple(Lesson.objects.filter(pk=lesson.pk).values_list("title", "quiz_bank_id", "quiz_question_count").get())


def test_lesson_services_refuse_an_exam_only_quiz_bank(cast: Cast, world: World, exam_bank: Bank) -> None:
    chapter = world.article.chapter
    before = chapter.lessons.count()
    for actor in (None, cast.east.training_admin, cast.platform_admin):
        with pytest.raises(ValidationError) as refused:
            article_lesson(chapter, "带考试题库的课时", actor=actor, quiz_bank_id=exam_bank.pk, quiz_question_count=3)
        assert list(refused.value.message_dict) == ["quiz_bank"]
        assert EXAM_ONLY_MESSAGE in refused.value.message_dict["quiz_bank"][0]
    assert chapter.lessons.count() == before
    row = _lesson_row(world.article)
    with pytest.raises(ValidationError) as refused:
        lesson_update(
            actor=cast.east.training_admin,
            lesson=world.article,
            chapter=chapter,
            title="改了标题",
            credit_minutes=1,
            body_html="<p>x</p>",
            quiz_bank_id=exam_bank.pk,
            quiz_question_count=3,
        )
    assert list(refused.value.message_dict) == ["quiz_bank"]
    assert _lesson_row(world.article) == row  # nothing written, not even the title


def test_lesson_services_refuse_a_bank_the_actor_may_not_use(cast: Cast, world: World) -> None:
    east_bank = make_quiz_bank(cast)  # a practice bank of the east provider, shared with the east district
    chapter = world.article.chapter
    fields: dict[str, Any] = {
        "chapter": chapter,
        "title": "西区管理员的课时",
        "kind": Lesson.Kind.ARTICLE,
        "credit_minutes": 1,
        "body_html": "<p>x</p>",
        "quiz_question_count": 3,
    }
    for bank_id, message in ((east_bank.pk, "Choose a question bank you may use."), (10**9, "no question bank")):
        with pytest.raises(ValidationError) as refused:
            lesson_create(actor=cast.west.training_admin, quiz_bank_id=bank_id, **fields)
        assert message in refused.value.message_dict["quiz_bank"][0]
    assert not Lesson.objects.filter(title="西区管理员的课时").exists()
    # Those who may use it may; and a lesson keeps its bank when its editor no longer sees it.
    lesson = lesson_create(actor=cast.east.training_admin, quiz_bank_id=east_bank.pk, **fields)
    assert lesson.quiz_bank_id == east_bank.pk
    fields.pop("kind")
    kept = lesson_update(
        actor=cast.west.training_admin, lesson=lesson, quiz_bank_id=east_bank.pk, **{**fields, "title": "改名"}
    )
    assert (kept.title, kept.quiz_bank_id) == ("改名", east_bank.pk)


def _builder_post(world: World, bank: Bank, title: str) -> dict[str, Any]:
    return {
        "kind": Lesson.Kind.ARTICLE,
        "chapter": world.article.chapter_id,
        "title": title,
        "credit_minutes": 1,
        "body_html": "<p>正文</p>",
        "quiz_bank": bank.pk,
        "quiz_question_count": 3,
        "quiz_pass_percent": 60,
    }


def test_the_course_builder_refuses_an_exam_only_quiz_bank(cast: Cast, world: World, exam_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    created = client.post(
        reverse("training:manage_lesson_create", args=[world.article.chapter_id]),
        _builder_post(world, exam_bank, "网页新课时"),
    )
    assert created.status_code == 400
    assert "quiz_bank" in created.context["form"].errors
    assert not Lesson.objects.filter(title="网页新课时").exists()
    row = _lesson_row(world.article)
    edited = client.post(
        reverse("training:manage_lesson_edit", args=[world.article.pk]), _builder_post(world, exam_bank, "网页改名")
    )
    assert edited.status_code == 400
    assert "quiz_bank" in edited.context["form"].errors
    assert _lesson_row(world.article) == row
    # A practice bank the builder may use is saved.
    quiz_bank = make_quiz_bank(cast)
    saved = client.post(
        reverse("training:manage_lesson_edit", args=[world.article.pk]), _builder_post(world, quiz_bank, "网页改名")
    )
    assert saved.status_code == 302
    assert _lesson_row(world.article) == ("网页改名", quiz_bank.pk, 3)


@pytest.fixture
def staff_east_trainer(cast: Cast) -> Any:
    """The east training admin, with access to the Django admin's lessons and banks."""
    return make_staff(
        cast.east.training_admin,
        *["add_lesson", "change_lesson", "view_lesson", "change_bank", "view_bank"],
        apps=["training", "question_bank"],
    )


def _admin_lesson_post(world: World, bank_id: int, title: str) -> dict[str, Any]:
    return {
        "chapter": world.article.chapter_id,
        "title": title,
        "order": 9,
        "kind": Lesson.Kind.ARTICLE,
        "body_html": "<p>正文</p>",
        "duration_seconds": 0,
        "credit_minutes": 1,
        "quiz_bank_id": bank_id,
        "quiz_question_count": 3,
        "quiz_pass_percent": 60,
    }


def test_the_django_admin_refuses_an_exam_only_quiz_bank_id(
    cast: Cast, world: World, exam_bank: Bank, staff_east_trainer: Any
) -> None:
    client = login_client(staff_east_trainer)
    west_bank = make_quiz_bank(cast, code="west-quiz")
    west_bank.owner, west_bank.shared_with = cast.west.provider, cast.west.jurisdiction
    west_bank.save()
    for bank_id, message in ((exam_bank.pk, EXAM_ONLY_MESSAGE), (west_bank.pk, "Choose a question bank you may use")):
        added = client.post("/admin/training/lesson/add/", _admin_lesson_post(world, bank_id, "后台新课时"), headers=EN)
        assert added.status_code == 200
        errors = added.context["adminform"].form.errors
        assert message in errors["quiz_bank_id"][0]
        assert not Lesson.objects.filter(title="后台新课时").exists()
    row = _lesson_row(world.article)
    changed = client.post(
        f"/admin/training/lesson/{world.article.pk}/change/",
        _admin_lesson_post(world, exam_bank.pk, "后台改名"),
        headers=EN,
    )
    assert changed.status_code == 200
    assert "quiz_bank_id" in changed.context["adminform"].form.errors
    assert _lesson_row(world.article) == row
    quiz_bank = make_quiz_bank(cast)
    saved = client.post(
        "/admin/training/lesson/add/", _admin_lesson_post(world, quiz_bank.pk, "后台新课时"), headers=EN
    )
    assert saved.status_code == 302
    assert Lesson.objects.get(title="后台新课时").quiz_bank_id == quiz_bank.pk


# --- turning a bank exam-only while lesson quizzes draw on it ----------------------------------
#
# question_bank may not import training: training registers a guard for
# "question_bank.bank_update" in core.registries (TrainingConfig.ready), and bank_update asks it.


@pytest.fixture
def quizzed_bank(cast: Cast, world: World) -> Bank:
    """A practice bank two lessons of two courses quiz from (a third, retired, does not count)."""
    bank = make_quiz_bank(cast)
    second = build_course(cast, title="第二门课")
    retired = build_course(cast, title="第三门课")
    for lesson in (
        world.article,
        Lesson.objects.get(chapter__course=second, kind=Lesson.Kind.ARTICLE),
        Lesson.objects.get(chapter__course=retired, kind=Lesson.Kind.ARTICLE),
    ):
        lesson_update(
            actor=cast.east.training_admin,
            lesson=lesson,
            chapter=lesson.chapter,
            title=lesson.title,
            credit_minutes=lesson.credit_minutes,
            body_html=lesson.body_html,
            quiz_bank_id=bank.pk,
            quiz_question_count=3,
        )
    lesson_set_retired(lesson=lesson, retired=True)
    return bank


def _purpose_of(bank: Bank) -> str:
    return Bank.objects.values_list("purpose", flat=True).get(pk=bank.pk)


def test_training_registers_its_guard(db: None) -> None:
    assert "training.lesson_quizzes" in registries.guards_for("question_bank.bank_update")


def test_the_service_refuses_to_turn_a_quizzed_bank_exam_only(cast: Cast, world: World, quizzed_bank: Bank) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.bank_update(
            actor=cast.east.training_admin, bank=quizzed_bank, data={"purpose": "exam_only", "name": "新名字"}
        )
    assert refused.value.message_dict == {
        "purpose": [
            "2 个课时（2 门课程）的课后测验使用此题库：请先为这些课时更换课后测验题库（或停用这些课时），再设为仅限考试。"
        ]
    }
    quizzed_bank.refresh_from_db()
    assert (quizzed_bank.purpose, quizzed_bank.name) == (Bank.Purpose.PRACTICE, "东区课后测验题库 east-quiz")
    # Other changes go through; and once no lesson that is not retired quizzes from it, so does this one.
    services.bank_update(actor=cast.east.training_admin, bank=quizzed_bank, data={"name": "新名字"})
    Lesson.objects.filter(quiz_bank_id=quizzed_bank.pk, retired=False).update(retired=True)
    services.bank_update(actor=cast.east.training_admin, bank=quizzed_bank, data={"purpose": "exam_only"})
    assert _purpose_of(quizzed_bank) == Bank.Purpose.EXAM_ONLY


def test_the_api_refuses_to_turn_a_quizzed_bank_exam_only(cast: Cast, world: World, quizzed_bank: Bank) -> None:
    client = api(cast.east.training_admin)
    url = f"/api/v1/question-banks/{quizzed_bank.pk}/"
    patched = client.patch(url, {"purpose": "exam_only"}, format="json", headers={"Accept-Language": "zh-hans"})
    assert patched.status_code == 400
    assert list(patched.json()["errors"]) == ["purpose"]
    assert "2 个课时（2 门课程）的课后测验使用此题库" in patched.json()["errors"]["purpose"][0]
    put = client.put(
        url,
        {"code": quizzed_bank.code, "name": "改名", "owner": "east-center", "purpose": "exam_only"},
        format="json",
    )
    assert put.status_code == 400
    assert "purpose" in put.json()["errors"]
    quizzed_bank.refresh_from_db()
    assert (quizzed_bank.purpose, quizzed_bank.name) == (Bank.Purpose.PRACTICE, "东区课后测验题库 east-quiz")


def test_the_admin_form_refuses_to_turn_a_quizzed_bank_exam_only(
    cast: Cast, world: World, quizzed_bank: Bank, staff_east_trainer: Any
) -> None:
    client = login_client(staff_east_trainer)
    form = {
        "code": quizzed_bank.code,
        "name": "后台改名",
        "owner": cast.east.provider.pk,
        "purpose": "exam_only",
        "visibility": "shared",
        "shared_with": cast.east.jurisdiction.pk,
    }
    refused = client.post(f"/admin/question_bank/bank/{quizzed_bank.pk}/change/", form, headers=EN)
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert "The quizzes of 2 lesson(s) in 2 course(s) draw on this bank" in errors["purpose"][0]
    quizzed_bank.refresh_from_db()
    assert (quizzed_bank.purpose, quizzed_bank.name) == (Bank.Purpose.PRACTICE, "东区课后测验题库 east-quiz")
    saved = client.post(
        f"/admin/question_bank/bank/{quizzed_bank.pk}/change/", {**form, "purpose": "practice"}, headers=EN
    )
    assert saved.status_code == 302
    quizzed_bank.refresh_from_db()
    assert quizzed_bank.name == "后台改名"
