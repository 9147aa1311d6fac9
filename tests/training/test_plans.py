"""Requirement profiles, onboarding auto-assignment, completion and the exam gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from organizations.models import Person
from organizations.services import person_create
from tests import factories
from tests.training.conftest import World, build_course
from training import selectors
from training.models import Assignment, Lesson, PlanTemplate, Progress, RequirementProfile
from training.services.assignments import assign_to_people, onboarding_plan_for, reminders_send
from training.services.crediting import lesson_quiz_record


@pytest.mark.django_db
def test_default_profiles_encode_the_regulation() -> None:
    def hours(high_risk: bool, post: str) -> tuple[int, int]:
        p = RequirementProfile.objects.get(high_risk=high_risk, post=post)
        return p.initial_hours, p.annual_hours

    assert hours(False, Person.Post.EMPLOYEE)[0] == 24
    assert hours(True, Person.Post.EMPLOYEE) == (72, 20)
    assert hours(False, Person.Post.PRINCIPAL) == (32, 12)
    assert hours(True, Person.Post.SAFETY_MANAGER) == (48, 16)
    template = PlanTemplate.objects.get(kind=PlanTemplate.Kind.ONBOARDING, is_default=True)
    assert [s.level for s in template.stages.order_by("order")] == ["plant", "workshop", "team"]


def _add_to_template(course: Any, level: str = "plant") -> None:
    template = PlanTemplate.objects.get(kind=PlanTemplate.Kind.ONBOARDING, is_default=True)
    template.stages.get(level=level).courses.add(course)


@pytest.mark.django_db
class TestOnboardingAutoAssign:
    def test_a_new_hire_gets_the_onboarding_plan_for_industry_and_post(self, cast: Any, settings: Any) -> None:
        course = build_course(cast)
        _add_to_template(course)
        chem = cast.east.enterprises[0]  # hazardous chemicals: high-risk
        person, _ = person_create(
            enterprise=chem,
            name="新员工",
            id_number=factories.id_number(),
            hire_date=timezone.localdate() - dt.timedelta(days=3),
        )
        assignment = Assignment.objects.get(learner=person.user)
        assert assignment.source == Assignment.Source.ONBOARDING
        assert assignment.plan.required_minutes == 72 * settings.MINUTES_PER_CREDIT_HOUR
        assert list(assignment.plan.courses.all()) == [course]
        assert assignment.due_date == timezone.localdate() + dt.timedelta(days=settings.TRAINING_ONBOARDING_DUE_DAYS)
        rows = selectors.my_assignments(person.user)
        assert rows[0][1].required_minutes == 72 * settings.MINUTES_PER_CREDIT_HOUR

    def test_a_low_risk_manager_gets_their_own_hours(self, cast: Any, settings: Any) -> None:
        machinery = cast.east.enterprises[1]
        person, _ = person_create(
            enterprise=machinery,
            name="安全员",
            id_number=factories.id_number(),
            hire_date=timezone.localdate(),
            post=Person.Post.SAFETY_MANAGER,
        )
        plan = Assignment.objects.get(learner=person.user).plan
        assert plan.required_minutes == 32 * settings.MINUTES_PER_CREDIT_HOUR

    def test_a_long_serving_employee_is_not_auto_assigned(self, cast: Any) -> None:
        person, _ = person_create(
            enterprise=cast.east.enterprises[0],
            name="老员工",
            id_number=factories.id_number(),
            hire_date=timezone.localdate() - dt.timedelta(days=2000),
        )
        assert not Assignment.objects.filter(learner=person.user).exists()

    def test_courses_of_another_jurisdiction_are_not_put_into_the_plan(self, cast: Any) -> None:
        course = build_course(cast)  # shared with east only
        _add_to_template(course)
        person, _ = person_create(
            enterprise=cast.west.enterprises[0],
            name="西区新员工",
            id_number=factories.id_number("990102"),
            hire_date=timezone.localdate(),
        )
        assert not Assignment.objects.get(learner=person.user).plan.courses.exists()


def _finish(world: World, lesson: Lesson) -> None:
    Progress.objects.update_or_create(
        learner=world.learner.user,
        lesson=lesson,
        defaults={
            "credited_seconds": lesson.credit_minutes * 60,
            "furthest": lesson.end_position,
            "position": lesson.end_position,
            "completed_at": timezone.now(),
        },
    )


@pytest.mark.django_db
class TestCompletionAndEligibility:
    def test_the_exam_stays_locked_until_every_lesson_is_done(self, world: World) -> None:
        verdict = selectors.is_eligible_for_exam(person=world.learner, course=world.course)
        assert not verdict
        assert "0 of 3 lessons" in verdict.reason
        _finish(world, world.video)
        _finish(world, world.document)
        assert not selectors.is_eligible_for_exam(person=world.learner, course=world.course)
        _finish(world, world.article)
        assert selectors.is_eligible_for_exam(person=world.learner, course=world.course)

    def test_a_plan_needs_its_required_minutes_not_only_its_lessons(self, world: World, cast: Any) -> None:
        _add_to_template(world.course)
        plan = onboarding_plan_for(enterprise=cast.east.enterprises[0], post=Person.Post.EMPLOYEE)
        for lesson in (world.video, world.document, world.article):
            _finish(world, lesson)
        verdict = selectors.is_eligible_for_exam(person=world.learner, plan=plan)
        assert not verdict
        assert "0.1 of 72 credit hours" in verdict.reason  # 4 of 3,240 minutes, in 学时 as the pages count

    def test_a_lesson_quiz_must_be_passed(self, world: World) -> None:
        Lesson.objects.filter(pk=world.article.pk).update(quiz_bank_id=1, quiz_question_count=5)
        world.article.refresh_from_db()
        for lesson in (world.video, world.document):
            _finish(world, lesson)
        Progress.objects.create(
            learner=world.learner.user, lesson=world.article, credited_seconds=60, furthest=100, position=100
        )
        assert not selectors.is_eligible_for_exam(person=world.learner, course=world.course)
        lesson_quiz_record(user=world.learner.user, lesson=world.article, passed=True)
        assert selectors.is_eligible_for_exam(person=world.learner, course=world.course)
        world.assignment.refresh_from_db()
        assert world.assignment.status == Assignment.Status.COMPLETED

    def test_no_requirement_means_eligible(self, world: World) -> None:
        assert selectors.is_eligible_for_exam(person=world.learner)


@pytest.mark.django_db
def test_assigning_by_post_reaches_only_that_post(world: World, cast: Any) -> None:
    chem = cast.east.enterprises[0]
    manager = factories.make_person(chem, post=Person.Post.SAFETY_MANAGER)
    created = assign_to_people(
        people=list(chem.people.filter(post=Person.Post.SAFETY_MANAGER)),
        course=world.course,
        due_date=None,
        assigned_by=cast.east.enterprise_admin,
    )
    assert created == 1
    assert Assignment.objects.filter(course=world.course, learner=manager.user).exists()
    # Assigning again creates nothing new.
    assert assign_to_people(people=[manager], course=world.course, due_date=None, assigned_by=manager.user) == 0


@pytest.mark.django_db
def test_reminders_email_learners_with_due_assignments(world: World, mailoutbox: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = world.learner.user
    user.email = "learner@example.com"
    user.save()
    Assignment.objects.filter(pk=world.assignment.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    assert reminders_send() == 1
    assert "learner@example.com" in mailoutbox[0].to
    assert reminders_send() == 0  # not again the same day
