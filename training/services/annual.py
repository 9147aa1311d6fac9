"""Annual retraining: assigning each year's retraining plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.models import Enterprise, Person
from training import selectors
from training.models import Assignment, Course, Plan, PlanCourse, PlanTemplate, RequirementProfile
from training.services.assignments import assignment_create, course_matches


@dataclass
class AnnualResult:
    year: int
    assigned: int = 0
    already: int = 0
    plans_created: int = 0
    # (enterprise, post label) groups skipped because no course matches.
    no_courses: list[str] = field(default_factory=list)


def _annual_courses(enterprise: Enterprise, post: str) -> list[Course]:
    template = (
        PlanTemplate.objects.filter(kind=PlanTemplate.Kind.ANNUAL, is_default=True)
        .prefetch_related("stages__courses__industries")
        .first()
    )
    available = selectors.courses_available_to_enterprise(enterprise).prefetch_related("industries")
    if template is not None and any(stage.courses.exists() for stage in template.stages.all()):
        ids = set(available.values_list("pk", flat=True))
        candidates = [c for stage in template.stages.all() for c in stage.courses.all() if c.pk in ids]
    else:
        candidates = list(available.order_by("title", "pk"))
    seen: set[int] = set()
    courses = []
    for course in candidates:
        if course.pk not in seen and course_matches(course, industry=enterprise.industry, post=post):
            seen.add(course.pk)
            courses.append(course)
    return courses


def annual_training_assign(*, year: int, dry_run: bool = False) -> AnnualResult:
    """Assign each year's retraining (年度再培训) to everyone on a roster whose
    requirement profile asks for annual hours.

    Per enterprise and post, one annual plan for the year holds the courses
    available to the enterprise that match its industry and post tags (the
    default annual plan template's courses when it has any); its required
    minutes are the profile's annual hours. People hired during ``year`` (their
    onboarding covers it) and people who have left are skipped. Idempotent:
    the plan is found again by (enterprise, post, year) and an active
    assignment of it is never duplicated. ``dry_run`` counts without writing.
    """
    result = AnnualResult(year=year)
    due = dt.date(year, 12, 31)
    profiles = {(p.high_risk, p.post): p for p in RequirementProfile.objects.filter(annual_hours__gt=0)}
    if not profiles:
        return result
    people = (
        Person.objects.filter(leave_date__isnull=True, hire_date__lt=dt.date(year, 1, 1))
        .select_related("enterprise__industry", "enterprise__jurisdiction", "user")
        .order_by("enterprise_id", "post", "pk")
    )
    groups: dict[tuple[int, str], list[Person]] = {}
    for person in people.iterator(chunk_size=2000):
        if (person.enterprise.industry.is_high_risk, person.post) in profiles:
            groups.setdefault((person.enterprise_id, person.post), []).append(person)
    for (_enterprise_id, post), members in groups.items():
        enterprise = members[0].enterprise
        profile = profiles[(enterprise.industry.is_high_risk, post)]
        plan = Plan.objects.filter(enterprise=enterprise, kind=PlanTemplate.Kind.ANNUAL, post=post, year=year).first()
        if plan is None:
            courses = _annual_courses(enterprise, post)
            if not courses:
                result.no_courses.append(f"{enterprise.name} · {Person.Post(post).label}")
                continue
            if dry_run:
                result.plans_created += 1
                result.assigned += len(members)
                continue
            with transaction.atomic():
                plan = Plan.objects.create(
                    name=_("Annual retraining %(year)s · %(post)s") % {"year": year, "post": Person.Post(post).label},
                    kind=PlanTemplate.Kind.ANNUAL,
                    enterprise=enterprise,
                    post=post,
                    year=year,
                    required_minutes=profile.annual_hours * settings.MINUTES_PER_CREDIT_HOUR,
                )
                PlanCourse.objects.bulk_create(
                    [PlanCourse(plan=plan, course=c, order=i) for i, c in enumerate(courses, start=1)]
                )
            result.plans_created += 1
        have = set(
            Assignment.objects.filter(plan=plan, learner_id__in=[m.user_id for m in members])
            .exclude(status=Assignment.Status.CANCELLED)
            .values_list("learner_id", flat=True)
        )
        for person in members:
            if person.user_id in have:
                result.already += 1
                continue
            result.assigned += 1
            if not dry_run:
                assignment_create(learner=person.user, plan=plan, due_date=due, source=Assignment.Source.ANNUAL)
    return result
