"""Nobody grades a subjective question (简答题, 论述题, 案例分析…) in an exam or a lesson quiz: rule-drawn
papers and quizzes leave them out and say so, a hand-picked one is refused, and no attempt can hold one."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from exams.models import AttemptQuestion, PaperItem, PaperRule, PaperTemplate
from exams.services.attempts import attempt_start
from exams.services.errors import PoolTooSmall, SubjectiveRefused
from exams.services.papers import PaperDrawer, RuleSpec, paper_create_fixed, paper_create_rules, paper_preview
from exams.services.sessions import session_create
from exams.services.spot_tests import spot_test_open
from question_bank import services as qb_services
from question_bank.models import AUTO_GRADED_TYPES, Question, QuestionType
from tests.conftest import login_client
from tests.exams.conftest import make_bank, make_paper, make_question, make_session

pytestmark = pytest.mark.django_db
SUBJECTIVE = QuestionType.SUBJECTIVE


@pytest.fixture
def bank(cast: Any) -> Any:
    """Three questions of every machine-graded type and five subjective ones."""
    bank = make_bank(cast.east.provider, per_type=3)
    for n in range(5):
        make_question(bank, SUBJECTIVE, n)
    return bank


def test_rule_drawn_papers_draw_every_other_question_but_no_subjective_one(cast: Any, bank: Any) -> None:
    paper = make_paper(cast.east.provider, bank, per_type=3)  # the whole machine-graded pool
    assert {row["type"] for row in paper_preview(paper=paper)} == set(AUTO_GRADED_TYPES)
    session = make_session(cast.east.provider, paper)
    attempt = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    types = [q["type"] for q in attempt.payload]
    assert len(types) == 12
    assert SUBJECTIVE not in types
    assert not AttemptQuestion.objects.filter(qtype=SUBJECTIVE).exists()


def test_a_rule_asking_for_subjective_questions_is_refused_and_nothing_is_saved(cast: Any, bank: Any) -> None:
    with pytest.raises(SubjectiveRefused) as refused:
        paper_create_rules(
            provider=cast.east.provider,
            name="含主观题的试卷",
            rules=[
                RuleSpec(qtype=QuestionType.SINGLE, count=2, score=Decimal(5), banks=[bank]),
                RuleSpec(qtype=SUBJECTIVE, count=2, score=Decimal(10), banks=[bank]),
            ],
        )
    assert "规则 2" in refused.value.message
    assert "人工阅卷" in refused.value.message
    assert not PaperTemplate.objects.filter(name="含主观题的试卷").exists()


def test_the_paper_builder_says_how_many_subjective_questions_it_leaves_out(cast: Any, bank: Any) -> None:
    client = login_client(cast.east.training_admin)
    page = client.get(reverse("exams:paper_new")).content.decode()
    assert "题库中 5 道主观题需人工阅卷，不参与随机组卷。" in page
    # The type list offers no subjective type; a forged one is refused by the form.
    assert 'value="subjective"' not in page
    forged = client.post(
        reverse("exams:paper_new"),
        {"name": "伪造", "r0_banks": [bank.pk], "r0_qtype": "subjective", "r0_count": 1, "r0_score": "5"},
    )
    assert forged.status_code == 200
    assert not PaperTemplate.objects.filter(name="伪造").exists()
    # The draw's page says it again, for the banks the paper's rules use.
    paper = make_paper(cast.east.provider, bank, per_type=1)
    detail = client.get(reverse("exams:paper_detail", args=[paper.pk])).content.decode()
    assert "题库中 5 道主观题需人工阅卷，不参与随机组卷。" in detail
    # A bank without subjective questions gets no such note.
    plain = make_bank(cast.east.provider, code="plain", per_type=1)
    other = make_paper(cast.east.provider, plain, per_type=1)
    assert "主观题" not in client.get(reverse("exams:paper_detail", args=[other.pk])).content.decode()


def test_a_hand_picked_subjective_question_is_refused_with_its_position(cast: Any, bank: Any) -> None:
    single = Question.objects.filter(bank=bank, type=QuestionType.SINGLE).first()
    essay = Question.objects.filter(bank=bank, type=SUBJECTIVE).first()
    with pytest.raises(SubjectiveRefused) as refused:
        paper_create_fixed(
            provider=cast.east.provider, name="手选卷", questions=[(single, Decimal(5)), (essay, Decimal(10))]
        )
    assert "第 2 题是主观题" in refused.value.message
    assert f"#{essay.pk}" in refused.value.message
    assert refused.value.code == "subjective_question"
    assert not PaperTemplate.objects.filter(name="手选卷").exists()


def test_a_paper_holding_one_behind_the_services_back_cannot_be_scheduled_or_drawn(cast: Any, bank: Any) -> None:
    paper = PaperTemplate.objects.create(provider=cast.east.provider, name="旧卷", kind=PaperTemplate.Kind.FIXED)
    PaperItem.objects.create(paper=paper, question=Question.objects.filter(bank=bank, type=SUBJECTIVE).first(), score=5)
    now = timezone.now()
    with pytest.raises(PoolTooSmall) as refused:
        session_create(
            provider=cast.east.provider,
            paper=paper,
            title="旧卷考试",
            opens_at=now,
            closes_at=now + dt.timedelta(hours=1),
            duration_minutes=30,
            pass_score=Decimal(60),
        )
    assert "主观题" in refused.value.message
    with pytest.raises(SubjectiveRefused):
        PaperDrawer(paper)


def test_the_database_refuses_a_subjective_rule_or_attempt_question(cast: Any, exam: dict[str, Any]) -> None:
    attempt = attempt_start(notice_confirmed=True, session=exam["session"], person=cast.east.learner)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttemptQuestion.objects.create(
            attempt=attempt, position=99, qtype=SUBJECTIVE, stem="简述", answer="参考", score=Decimal(5)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaperRule.objects.create(paper=exam["paper"], position=9, qtype=SUBJECTIVE, count=1, score=Decimal(5))


def test_a_question_in_a_paper_cannot_be_edited_into_a_subjective_one(cast: Any, exam: dict[str, Any]) -> None:
    question = Question.objects.filter(bank=exam["bank"], type=QuestionType.SINGLE).first()
    paper = paper_create_fixed(provider=cast.east.provider, name="固定卷", questions=[(question, Decimal(5))])
    with pytest.raises(ValidationError) as refused:
        qb_services.question_update(
            question=question, values={"type": "简答题", "stem": question.stem, "answer": "参考答案"}
        )
    assert "type" in refused.value.message_dict
    question.refresh_from_db()
    assert question.type == QuestionType.SINGLE
    assert PaperDrawer(paper).draw(random.Random(1))[0][0].type == QuestionType.SINGLE


def test_spot_tests_never_draw_a_subjective_question(cast: Any) -> None:
    bank = make_bank(cast.east.provider, code="spot", per_type=0)
    for n in range(2):
        make_question(bank, QuestionType.SINGLE, n)
    for n in range(10):
        make_question(bank, SUBJECTIVE, n)
    with pytest.raises(PoolTooSmall) as refused:
        spot_test_open(inspector=cast.east.bureau, person=cast.east.learner, questions=Question.objects.all(), count=3)
    assert "找到 2 道" in refused.value.message


def test_lesson_quizzes_leave_subjective_questions_out_and_the_builder_says_so(cast: Any) -> None:
    from tests.training.conftest import make_quiz_bank, make_world
    from training.models import Lesson
    from training.selectors import quiz_question_ids
    from training.services.crediting import quiz_attempt_open

    world = make_world(cast, due_date=None)
    quiz_bank = make_quiz_bank(cast, questions=3)  # two fill-in-blank and one single choice
    for n in range(4):
        qb_services.question_create(
            bank=quiz_bank, values={"type": "论述题", "stem": f"论述安全生产方针 {n}", "answer": "安全第一、预防为主。"}
        )
    Lesson.objects.filter(pk=world.article.pk).update(quiz_bank_id=quiz_bank.pk, quiz_question_count=3)
    world.article.refresh_from_db()
    objective = set(Question.objects.filter(bank=quiz_bank).exclude(type=SUBJECTIVE).values_list("pk", flat=True))
    assert set(quiz_question_ids(world.article)) == objective
    attempt = quiz_attempt_open(user=world.learner.user, lesson=world.article)
    assert set(attempt.question_ids) == objective

    client = login_client(cast.east.training_admin)
    url = f"/training/manage/chapters/{world.video.chapter_id}/lessons/new/?kind=article"
    form = {
        "kind": "article",
        "chapter": world.video.chapter_id,
        "title": "测验课",
        "credit_minutes": 5,
        "body_html": "<p>正文</p>",
        "quiz_bank": quiz_bank.pk,
        "quiz_pass_percent": 60,
    }
    too_many = client.post(url, {**form, "quiz_question_count": 5}).content.decode()
    assert "4 道主观题需人工阅卷，不参与测验抽题" in too_many
    saved = client.post(url, {**form, "quiz_question_count": 3}, follow=True).content.decode()
    assert "测验题库中 4 道主观题需人工阅卷，不参与测验抽题。" in saved
