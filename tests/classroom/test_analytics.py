"""Classroom hours in the bureau's indicators (analytics.indicators.compute), unchanged: the indicators read
``CreditLedger`` by enterprise and purpose, and a class writes its row with method ``classroom``, the
learner's employer and the purpose onboarding (an onboarding class whose end-of-class quiz is passed) or other.

One machinery enterprise (甲机械, key and above scale) whose employees need 2 学时 before taking up their post
(the profile is lowered from 24 so that one 90-minute class is enough), one new hire on 2026-03-02 with a
passed onboarding exam, and a 90-minute plant-level class on 2026-03-03."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from analytics.indicators import compute
from classroom.models import TrainingClass
from classroom.services.attendance import sign_manual
from classroom.services.schedule import class_schedule, invite
from organizations.models import RoleGrant
from tests import factories
from tests.analytics.ind_fixtures import attempt, east_district, enterprise, person, provider, q, session
from training.models import Chapter, Course, Lesson, PlanTemplate, PlanTemplateStage, RequirementProfile

D = dt.date
CST = dt.timezone(dt.timedelta(hours=8))
STARTS = dt.datetime(2026, 3, 3, 9, 0, tzinfo=CST)
MARCH = (D(2026, 3, 1), D(2026, 3, 31))


def _quiz_lesson(district: Any) -> Lesson:
    """An article lesson of a provider's course with a one-question quiz (the answer is B)."""
    from question_bank import services as qb
    from question_bank.models import Bank
    from training.services.content import lesson_create

    prov = provider()
    bank = qb.bank_create(
        actor=None,
        purpose=Bank.Purpose.PRACTICE,
        code="class-quiz",
        name="课后测验题库",
        owner=prov,
        visibility=Bank.Visibility.SHARED,
        shared_with=district,
    )
    qb.question_create(
        bank=bank,
        values={"type": "单选题", "stem": "火警电话是？", "option_a": "110", "option_b": "119", "answer": "B"},
    )
    course = Course.objects.create(title="厂级安全教育", owner_provider=prov, shared_with=district)
    chapter = Chapter.objects.create(course=course, title="第一章", order=1)
    lesson = lesson_create(
        actor=None, chapter=chapter, title="课后测验", kind=Lesson.Kind.ARTICLE, credit_minutes=1, body_html="<p>x</p>"
    )
    Lesson.objects.filter(pk=lesson.pk).update(quiz_bank_id=bank.pk, quiz_question_count=1)
    lesson.refresh_from_db()
    return lesson


@pytest.fixture
def w(db: None) -> SimpleNamespace:
    district, (s1,) = east_district(1)
    a = enterprise(s1, "甲机械")
    RequirementProfile.objects.filter(high_risk=False, post="employee").update(initial_hours=2)
    admin = factories.make_user("jia_admin")
    factories.grant(admin, RoleGrant.Role.ENTERPRISE_ADMIN, enterprise=a)
    hire = person(a, "新员工", D(2026, 3, 2))
    attempt(session(D(2026, 3, 20), onboarding=True, title="岗前考核"), hire, score=90, day=D(2026, 3, 5))
    template = PlanTemplate.objects.create(name="三级安全教育", kind=PlanTemplate.Kind.ONBOARDING)
    stage = PlanTemplateStage.objects.create(template=template, level="plant", order=1)
    return SimpleNamespace(district=district, a=a, admin=admin, hire=hire, stage=stage, lesson=_quiz_lesson(district))


def _attend(w: SimpleNamespace, **fields: Any) -> TrainingClass:
    """A 90-minute class of 甲机械 attended in full by the new hire (signed in and out by the trainer)."""
    c = class_schedule(
        by=w.admin,
        owner_enterprise=w.a,
        topic="厂级安全教育",
        level=TrainingClass.Level.PLANT,
        starts_at=STARTS,
        ends_at=STARTS + dt.timedelta(minutes=90),
        place="一号会议室",
        credit_minutes=90,
        **fields,
    )
    invite(training_class=c, by=w.admin, people=[w.hire])
    end = STARTS + dt.timedelta(minutes=90)
    sign_manual(training_class=c, person=w.hire, kind="in", reason="集体签到", by=w.admin, at=STARTS, now=STARTS)
    sign_manual(training_class=c, person=w.hire, kind="out", reason="集体签退", by=w.admin, at=end, now=end)
    return c


def _take_quiz(user: Any, lesson: Lesson, answer: str) -> Any:
    from question_bank.models import Question
    from training.services.crediting import quiz_attempt_open, quiz_attempt_submit

    attempt_ = quiz_attempt_open(user=user, lesson=lesson)
    return quiz_attempt_submit(
        attempt=attempt_,
        answers={
            qid: answer for qid in Question.objects.filter(pk__in=attempt_.question_ids).values_list("pk", flat=True)
        },
    )


def _new_employee(w: SimpleNamespace) -> tuple[float, int | None]:
    total = compute(q("new_employee_training_rate", *MARCH, jurisdiction=w.district)).total
    return total.numerator, total.denominator


def test_classroom_hours_count_as_training_hours(w: SimpleNamespace) -> None:
    assert compute(q("training_hours", *MARCH, jurisdiction=w.district)).total.numerator == 0
    _attend(w)
    # 90 minutes are 2 学时 of 45 minutes, whatever the purpose.
    assert compute(q("training_hours", *MARCH, jurisdiction=w.district)).total.numerator == pytest.approx(2.0)
    assert compute(q("active_learners", *MARCH, jurisdiction=w.district)).total.numerator == 1


def test_an_ordinary_class_is_not_onboarding(w: SimpleNamespace) -> None:
    _attend(w)
    assert _new_employee(w) == (0, 1)


def test_onboarding_class_counts_the_new_hire_once_the_quiz_is_passed(w: SimpleNamespace) -> None:
    _attend(w, onboarding_stage=w.stage, quiz_lesson=w.lesson)
    # The class is attended, but its credit waits for the end-of-class quiz: hours short.
    assert _new_employee(w) == (0, 1)
    assert not _take_quiz(w.hire.user, w.lesson, "A").passed
    assert _new_employee(w) == (0, 1)
    assert _take_quiz(w.hire.user, w.lesson, "B").passed
    assert _new_employee(w) == (1, 1)
    assert compute(q("training_hours", *MARCH, jurisdiction=w.district)).total.numerator == pytest.approx(2.0)


def test_onboarding_class_without_quiz_counts_at_sign_out(w: SimpleNamespace) -> None:
    _attend(w, onboarding_stage=w.stage)
    assert _new_employee(w) == (1, 1)
