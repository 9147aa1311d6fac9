"""Annual retraining (年度再培训): `manage.py assign_annual_training`."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from organizations.models import Person
from tests import factories
from tests.conftest import Cast
from tests.training.conftest import build_course
from training.models import Assignment, Course, Plan, PlanTemplate

YEAR = 2026
BEFORE = dt.date(2024, 3, 1)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("assign_annual_training", "--year", str(YEAR), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def roster(cast: Cast) -> dict[str, Any]:
    chemical, machinery = cast.east.enterprises  # high-risk, not high-risk
    general = build_course(cast, title="年度安全再培训")
    managers = Course.objects.create(
        title="主要负责人安全管理能力", owner_provider=cast.east.provider, shared_with=cast.east.jurisdiction
    )
    managers.posts = [Person.Post.PRINCIPAL, Person.Post.SAFETY_MANAGER]
    managers.save()
    machinery_only = Course.objects.create(
        title="机械加工安全", owner_provider=cast.east.provider, shared_with=cast.east.jurisdiction
    )
    machinery_only.industries.add(machinery.industry)
    people = {
        "chem_principal": factories.make_person(chemical, post=Person.Post.PRINCIPAL, hire_date=BEFORE),
        "chem_employee": factories.make_person(chemical, post=Person.Post.EMPLOYEE, hire_date=BEFORE),
        "machinery_manager": factories.make_person(machinery, post=Person.Post.SAFETY_MANAGER, hire_date=BEFORE),
        # No annual hours for employees outside high-risk industries.
        "machinery_employee": factories.make_person(machinery, post=Person.Post.EMPLOYEE, hire_date=BEFORE),
        # Hired during the year: onboarding covers it.
        "chem_new_hire": factories.make_person(chemical, post=Person.Post.EMPLOYEE, hire_date=dt.date(YEAR, 3, 1)),
        "chem_left": factories.make_person(chemical, post=Person.Post.EMPLOYEE, hire_date=BEFORE),
        # West: no course is available to west enterprises.
        "west_principal": factories.make_person(cast.west.enterprises[0], post=Person.Post.PRINCIPAL, hire_date=BEFORE),
    }
    Person.objects.filter(pk=people["chem_left"].pk).update(leave_date=dt.date(2025, 6, 30))
    return {"people": people, "general": general, "managers": managers, "machinery_only": machinery_only}


def _annual(person: Person) -> Assignment | None:
    return Assignment.objects.filter(learner=person.user, source=Assignment.Source.ANNUAL).first()


@pytest.mark.django_db
class TestAnnualTraining:
    def test_assigns_the_right_people_with_matching_courses(self, roster: dict[str, Any]) -> None:
        output = _run()
        people = roster["people"]
        assert "assigned 3 annual retraining assignments for 2026" in output
        assigned = {key for key, person in people.items() if _annual(person)}
        assert assigned == {"chem_principal", "chem_employee", "machinery_manager"}
        principal = _annual(people["chem_principal"])
        assert principal.due_date == dt.date(YEAR, 12, 31)
        assert principal.plan.kind == PlanTemplate.Kind.ANNUAL
        assert principal.plan.year == YEAR
        assert principal.plan.required_minutes == 16 * settings.MINUTES_PER_CREDIT_HOUR
        assert set(principal.plan.courses.all()) == {roster["general"], roster["managers"]}
        employee = _annual(people["chem_employee"])
        assert employee.plan.required_minutes == 20 * settings.MINUTES_PER_CREDIT_HOUR
        assert set(employee.plan.courses.all()) == {roster["general"]}
        manager = _annual(people["machinery_manager"])
        assert manager.plan.required_minutes == 12 * settings.MINUTES_PER_CREDIT_HOUR
        assert set(manager.plan.courses.all()) == {roster["general"], roster["managers"], roster["machinery_only"]}
        assert "skipped, no matching course" in output
        assert people["west_principal"].enterprise.name in output

    def test_running_twice_creates_nothing_new(self, roster: dict[str, Any]) -> None:
        _run()
        counts = (Assignment.objects.count(), Plan.objects.count())
        output = _run()
        assert (Assignment.objects.count(), Plan.objects.count()) == counts
        assert "assigned 0 annual retraining assignments for 2026 (0 new plans; 3 already assigned)" in output

    def test_dry_run_writes_nothing(self, roster: dict[str, Any]) -> None:
        before = (Assignment.objects.count(), Plan.objects.count())
        output = _run("--dry-run")
        assert "[dry run] would assign 3 annual retraining assignments for 2026 (3 new plans" in output
        assert (Assignment.objects.count(), Plan.objects.count()) == before

    def test_a_person_joining_later_in_the_year_gets_the_same_plan(self, roster: dict[str, Any], cast: Cast) -> None:
        _run()
        transferred = factories.make_person(cast.east.enterprises[0], post=Person.Post.PRINCIPAL, hire_date=BEFORE)
        assert "assigned 1 " in _run()
        assert _annual(transferred).plan == _annual(roster["people"]["chem_principal"]).plan

    def test_the_learner_sees_the_annual_plan_on_their_dashboard(self, roster: dict[str, Any]) -> None:
        from tests.conftest import login_client

        _run()
        person = roster["people"]["chem_employee"]
        html = login_client(person.user).get("/training/").content.decode()
        assert _annual(person).plan.name in html
        assert "2026-12-31" in html


@pytest.mark.django_db
def test_the_daily_job_assigns_the_current_year(roster: dict[str, Any], settings: Any) -> None:
    from django.utils import timezone

    from config.celery import app
    from training import scheduler

    assert app.conf.beat_schedule["training-daily"]["task"] == "training.daily"
    result = scheduler.daily()
    year = timezone.localdate().year
    assert result["year"] == year
    principal = _annual(roster["people"]["chem_principal"])
    assert principal.due_date == dt.date(year, 12, 31)
    assert scheduler.daily()["annual_assigned"] == 0


def test_the_embedded_job_runs_at_night() -> None:
    from django.utils import timezone

    from training import scheduler

    evening = timezone.make_aware(dt.datetime(2026, 5, 1, 22, 30))
    assert scheduler.seconds_until_next_run(evening) == 3.5 * 3600
    early = timezone.make_aware(dt.datetime(2026, 5, 1, 1, 0))
    assert scheduler.seconds_until_next_run(early) == 3600
