"""Exam fixtures: a bank with known answers, an open session for the EAST district."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from exams.models import ExamSession, PaperTemplate
from exams.services.papers import RuleSpec, paper_create_rules
from exams.services.sessions import session_create
from question_bank.models import AUTO_GRADED_TYPES, Bank, Question, QuestionType
from tests.support.questions import new_question
from training.models import Chapter, Course, Lesson
from training.services.content import lesson_create

# Answer texts that appear nowhere else, so a leak check can search for them.
FILL_KEYS = ["钥匙甲{}", "钥匙乙{}"]


def make_question(bank: Bank, qtype: str, n: int, *, kp: str = "", difficulty: int = 3, industry: str = "") -> Question:
    options: list[str] = []
    if qtype == QuestionType.SINGLE:
        options, answer = [f"单选{n}选项{c}" for c in "ABCD"], "B"
    elif qtype == QuestionType.MULTIPLE:
        options, answer = [f"多选{n}选项{c}" for c in "ABCD"], "ACD"
    elif qtype == QuestionType.TRUE_FALSE:
        answer = n % 2 == 0
    elif qtype == QuestionType.SUBJECTIVE:
        answer = f"参考答案{n}：先通风、再检测、后作业。"
    else:
        answer = [[FILL_KEYS[0].format(n)], [FILL_KEYS[1].format(n), f"别名{n}"]]
    stem = f"{bank.code} {qtype} 题干 {n}" + (" ____ ____" if qtype == QuestionType.FILL_BLANK else "")
    return create_question(
        bank,
        qtype,
        stem,
        options,
        answer,
        explanation=f"解析{n}",
        difficulty=difficulty,
        knowledge_point=kp or f"知识点{qtype}",
        industry_tags=industry,
    )


def create_question(bank: Bank, qtype: str, stem: str, options: list[str], answer: Any, **fields: Any) -> Question:
    """A question with exactly this text, stored directly (no import, so no sibling scan)."""
    question = new_question(bank, qtype, stem, options, answer, **fields)
    question.save(force_insert=True)
    return question


def make_bank(provider: Any, code: str = "bank-east", per_type: int = 6) -> Bank:
    bank = Bank.objects.create(owner=provider, code=code, name=f"题库 {code}")
    for qtype in AUTO_GRADED_TYPES:  # exams draw only machine-graded types
        for n in range(per_type):
            make_question(bank, qtype, n)
    return bank


def make_paper(provider: Any, bank: Bank, per_type: int = 2, score: str = "5") -> PaperTemplate:
    return paper_create_rules(
        provider=provider,
        name="试卷",
        rules=[
            RuleSpec(qtype=qtype, count=per_type, score=Decimal(score), banks=[bank]) for qtype in AUTO_GRADED_TYPES
        ],
    )


def make_session(provider: Any, paper: PaperTemplate, **fields: Any) -> ExamSession:
    now = timezone.now()
    title = fields.pop("title", "考试")
    defaults: dict[str, Any] = {
        "opens_at": now - dt.timedelta(minutes=5),
        "closes_at": now + dt.timedelta(hours=2),
        "duration_minutes": 30,
        "pass_score": Decimal("20"),
    }
    defaults.update(fields)
    return session_create(provider=provider, paper=paper, title=title, **defaults)


@pytest.fixture
def exam(cast: Any) -> dict[str, Any]:
    """An open EAST session (8 questions, 5 points each, pass 20) and its bank."""
    bank = make_bank(cast.east.provider)
    paper = make_paper(cast.east.provider, bank)
    session = make_session(cast.east.provider, paper)
    return {"bank": bank, "paper": paper, "session": session}


def correct_answer(aq: Any) -> Any:
    """What a perfect examinee sends for an attempt question (test-side knowledge)."""
    if aq.qtype == QuestionType.FILL_BLANK:
        return [alts[0] for alts in aq.answer]
    return aq.answer


# The body of an API start: the examinee has read and agreed to the exam notice.
CONFIRM = {"confirm_notice": True}


def session_form_data(paper: Any, title: str, **extra: Any) -> dict[str, Any]:
    """What the session form posts for a plain exam opening tomorrow; ``extra`` adds or overrides fields."""
    now = timezone.localtime()
    return {
        "title": title,
        "paper": paper.pk,
        "opens_at": (now + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timezone.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 60,
        "attempts_allowed": 1,
        "pass_score": "60",
        "result_release": "immediate",
        "certificate_validity_years": 3,
        "grace_seconds": 30,
        **extra,
    }


def require_course(cast: Any, session: ExamSession, title: str = "考前必修课") -> Course:
    """Make ``session`` need a one-lesson EAST course nobody has finished yet (its training prerequisite)."""
    course = Course.objects.create(title=title, owner_provider=cast.east.provider, shared_with=cast.east.jurisdiction)
    chapter = Chapter.objects.create(course=course, title="第一章")
    lesson_create(
        actor=None, chapter=chapter, title="文章", kind=Lesson.Kind.ARTICLE, credit_minutes=1, body_html="<p>x</p>"
    )
    ExamSession.objects.filter(pk=session.pk).update(required_course=course)
    return course
