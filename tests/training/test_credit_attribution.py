"""Each credited span says whose training it was and of which kind: the
enterprise and purpose of the assignment the lesson is studied under."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from organizations.services import employment_start
from tests.conftest import Cast
from tests.training.conftest import World
from tests.training.test_credit import Learner
from training.models import Assignment, CreditLedger, Plan, PlanCourse, PlanTemplate
from training.services.assignments import assignment_create

pytestmark = pytest.mark.django_db


def _plan(world: World, kind: str, enterprise=None) -> Plan:
    plan = Plan.objects.create(
        name=f"{kind} plan",
        kind=kind,
        enterprise=enterprise or world.learner.enterprise,
        post=world.learner.post,
        required_minutes=60,
    )
    PlanCourse.objects.create(plan=plan, course=world.course)
    return plan


def _study(world: World) -> list[tuple[int | None, str]]:
    learner = Learner(world)
    learner.beat(0, 0)
    learner.beat(15, 15)
    learner.beat(30, 30)
    return list(
        CreditLedger.objects.filter(learner=world.learner.user)
        .order_by("started_at")
        .values_list("enterprise_id", "purpose")
    )


def test_a_course_assigned_by_hand_is_other_training_at_the_learners_enterprise(world: World) -> None:
    assert _study(world) == [(world.learner.enterprise_id, CreditLedger.Purpose.OTHER)] * 2


def test_a_lesson_in_an_onboarding_plan_is_onboarding_credit_of_the_plans_enterprise(world: World, cast: Cast) -> None:
    other = cast.east.enterprises[1]
    _plan(world, PlanTemplate.Kind.ANNUAL)
    assignment_create(
        learner=world.learner.user,
        plan=Plan.objects.get(kind=PlanTemplate.Kind.ANNUAL),
        source=Assignment.Source.ANNUAL,
    )
    onboarding = _plan(world, PlanTemplate.Kind.ONBOARDING, enterprise=other)
    assignment_create(learner=world.learner.user, plan=onboarding, source=Assignment.Source.ONBOARDING)
    # Onboarding wins over annual retraining and the hand-assigned course.
    assert _study(world) == [(other.pk, CreditLedger.Purpose.ONBOARDING)] * 2


def test_an_annual_plan_credits_annual_retraining(world: World) -> None:
    plan = _plan(world, PlanTemplate.Kind.ANNUAL)
    assignment_create(learner=world.learner.user, plan=plan, source=Assignment.Source.ANNUAL)
    assert _study(world) == [(world.learner.enterprise_id, CreditLedger.Purpose.ANNUAL)] * 2


def test_the_attribution_is_decided_at_start_and_kept_for_the_window(world: World, cast: Cast) -> None:
    first, second = cast.east.enterprises
    learner = Learner(world)
    learner.beat(0, 0)
    # The learner moves to another enterprise while the window is open: the
    # span already started is credited where it was started.
    person = world.learner
    employment_start(person=person, enterprise=second, post=person.post, start_date=timezone.localdate())
    learner.beat(15, 15)
    assert CreditLedger.objects.get(learner=person.user).enterprise_id == first.pk
    # A new start attributes to the new enterprise.
    learner = Learner(world, takeover=True, start=20)
    learner.seq = 10  # the progress row remembers the last sequence number
    learner.beat(40, 15)
    learner.beat(55, 30)
    latest = CreditLedger.objects.filter(learner=person.user).order_by("-started_at").first()
    assert latest.enterprise_id == second.pk


def test_a_lease_taken_before_the_upgrade_still_credits(world: World) -> None:
    """A window opened before the ledger had an enterprise holds a lease
    ``lesson:token:post:expires``; its heartbeats go on crediting (as other training)."""
    learner = Learner(world)
    key = f"training:lease:{world.learner.user.pk}"
    cache.set(key, f"{world.video.pk}:{learner.token}:employee:9999999999", 600)
    learner.beat(0, 0)
    assert learner.beat(15, 15).credited == 15
    entry = CreditLedger.objects.get(learner=world.learner.user)
    assert (entry.post, entry.enterprise_id, entry.purpose) == ("employee", None, CreditLedger.Purpose.OTHER)
