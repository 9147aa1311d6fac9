"""Requirement profiles, plans and assignments: onboarding, assigning people, refreshing progress, reminders."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from organizations.models import Enterprise, Industry, Person
from training import selectors
from training.models import Assignment, Course, Plan, PlanCourse, PlanTemplate, RequirementProfile

ACTIVE_STATUSES = (Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS)


def requirement_for(*, industry: Industry, post: str) -> RequirementProfile | None:
    return RequirementProfile.objects.filter(high_risk=industry.is_high_risk, post=post).first()


def course_matches(course: Course, *, industry: Industry, post: str) -> bool:
    posts_ok = not course.posts or post in course.posts
    industry_ids = [i.pk for i in course.industries.all()]
    return posts_ok and (not industry_ids or industry.pk in industry_ids)


@transaction.atomic
def onboarding_plan_for(*, enterprise: Enterprise, post: str) -> Plan | None:
    """The enterprise's onboarding plan for a post, built from the default
    three-level template on first use. None when no profile applies."""
    template = PlanTemplate.objects.filter(kind=PlanTemplate.Kind.ONBOARDING, is_default=True).first()
    profile = requirement_for(industry=enterprise.industry, post=post)
    if template is None or profile is None:
        return None
    plan = Plan.objects.filter(enterprise=enterprise, template=template, post=post).first()
    if plan is not None:
        return plan
    plan = Plan.objects.create(
        name=f"{template.name} · {Person.Post(post).label}",
        kind=PlanTemplate.Kind.ONBOARDING,
        enterprise=enterprise,
        template=template,
        post=post,
        required_minutes=profile.initial_hours * settings.MINUTES_PER_CREDIT_HOUR,
    )
    available = set(selectors.courses_available_to_enterprise(enterprise).values_list("pk", flat=True))
    order = 0
    for stage in template.stages.prefetch_related("courses__industries"):
        for course in stage.courses.all():
            if course.pk in available and course_matches(course, industry=enterprise.industry, post=post):
                PlanCourse.objects.get_or_create(
                    plan=plan, course=course, defaults={"level": stage.level, "order": order}
                )
                order += 1
    return plan


@transaction.atomic
def assignment_create(
    *,
    learner: User,
    course: Course | None = None,
    plan: Plan | None = None,
    due_date: dt.date | None = None,
    source: str = Assignment.Source.MANUAL,
    assigned_by: User | None = None,
) -> Assignment:
    """Assign a course or a plan; an active assignment of the same thing is returned unchanged."""
    existing = (
        Assignment.objects.filter(learner=learner, course=course, plan=plan)
        .exclude(status=Assignment.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    assignment = Assignment.objects.create(
        learner=learner, course=course, plan=plan, due_date=due_date, source=source, assigned_by=assigned_by
    )
    assignments_refresh(learner=learner, assignments=[assignment])
    return assignment


def onboarding_assign(*, person: Person, today: dt.date | None = None) -> Assignment | None:
    """Called by organizations.services.person_create: a recent hire gets the
    onboarding plan for their industry and post."""
    today = today or timezone.localdate()
    if person.hire_date < today - dt.timedelta(
        days=settings.NEW_HIRE_WINDOW_DAYS
    ) or person.hire_date > today + dt.timedelta(days=settings.NEW_HIRE_WINDOW_DAYS):
        return None
    plan = onboarding_plan_for(enterprise=person.enterprise, post=person.post)
    if plan is None:
        return None
    due = max(person.hire_date, today) + dt.timedelta(days=settings.TRAINING_ONBOARDING_DUE_DAYS)
    return assignment_create(learner=person.user, plan=plan, due_date=due, source=Assignment.Source.ONBOARDING)


@transaction.atomic
def assign_to_people(
    *,
    people: list[Person],
    course: Course | None = None,
    plan: Plan | None = None,
    due_date: dt.date | None,
    assigned_by: User,
) -> int:
    """Assign to a selection (by post, department or individuals, chosen by
    the caller from a scoped queryset). Returns how many were newly assigned."""
    created = 0
    for person in people:
        before = Assignment.objects.filter(learner=person.user, course=course, plan=plan).exclude(
            status=Assignment.Status.CANCELLED
        )
        if before.exists():
            continue
        assignment_create(learner=person.user, course=course, plan=plan, due_date=due_date, assigned_by=assigned_by)
        created += 1
    return created


def assignments_refresh(*, learner: User, assignments: list[Assignment] | None = None) -> None:
    """Recompute the status of a learner's active assignments from progress.

    Called when a lesson is completed or started, never per heartbeat."""
    if assignments is None:
        assignments = list(
            Assignment.objects.filter(learner=learner, status__in=ACTIVE_STATUSES).select_related("course", "plan")
        )
    now = timezone.now()
    for assignment in assignments:
        summary = selectors.assignment_summary(assignment)
        if summary.complete:
            status, completed_at = Assignment.Status.COMPLETED, now
        elif summary.started:
            status, completed_at = Assignment.Status.IN_PROGRESS, None
        else:
            status, completed_at = Assignment.Status.ASSIGNED, None
        if status != assignment.status:
            Assignment.objects.filter(pk=assignment.pk).update(status=status, completed_at=completed_at)
            assignment.status, assignment.completed_at = status, completed_at


def reminders_send(*, today: dt.date | None = None) -> int:
    """Email learners whose assignments are due soon or overdue, once a day at most."""
    if settings.EMAIL_BACKEND.endswith("dummy.EmailBackend"):
        return 0
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=settings.TRAINING_REMINDER_DAYS)
    since = timezone.now() - dt.timedelta(hours=20)
    due = (
        Assignment.objects.filter(status__in=ACTIVE_STATUSES, due_date__lte=soon)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=since))
        .exclude(learner__email="")
        .select_related("learner", "course", "plan")
    )
    sent = 0
    for assignment in due:
        overdue = assignment.due_date < today  # type: ignore[operator]
        subject = _("Training overdue: %(title)s") if overdue else _("Training due soon: %(title)s")
        send_mail(
            subject % {"title": assignment.title},
            _("Please finish “%(title)s” by %(due)s.") % {"title": assignment.title, "due": assignment.due_date},
            settings.DEFAULT_FROM_EMAIL,
            [assignment.learner.email],
            fail_silently=True,
        )
        Assignment.objects.filter(pk=assignment.pk).update(reminded_at=timezone.now())
        sent += 1
    return sent
