"""The pre-aggregated facts (analytics.facts) give exactly the live SQL's figures.

Every indicator, at every group_by, over several periods and scopes, on the
edge-case worlds of the indicator tests: ``compute`` (facts) against
``compute(live=True)``. Then the maintenance: writes through any door (ORM
save, queryset update, delete) leave markers the next question refreshes, a
long queue sends questions to the live SQL until the refresh catches up, and
the incremental facts equal a full rebuild.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics import models
from analytics.facts import facts_ready, facts_rebuild, facts_refresh
from analytics.indicators import compute, indicators_all
from exams.models import Attempt, Certificate, CertificateType
from organizations.models import Employment, Enterprise, Jurisdiction
from tests.analytics.ind_fixtures import certificate, complete, employ, person, q, status
from tests.analytics.test_indicators_annual import w as annual_world  # noqa: F401
from tests.analytics.test_indicators_certificates import w as certificates_world  # noqa: F401
from tests.analytics.test_indicators_exams import w as exams_world  # noqa: F401
from tests.analytics.test_indicators_new_employee import w as new_employee_world  # noqa: F401
from tests.analytics.test_indicators_public_regulator import w as public_world  # noqa: F401
from tests.analytics.test_indicators_volumes import w as volumes_world  # noqa: F401

pytestmark = pytest.mark.django_db

D = dt.date
PERIODS = [(D(2025, 1, 1), D(2026, 12, 31)), (D(2026, 1, 31), D(2026, 6, 30))]
FACT_CODES = {ind.code for ind in indicators_all() if ind.has_facts}


def _scopes() -> list[dict[str, Any]]:
    scopes: list[dict[str, Any]] = [{}]
    scopes += [{"jurisdiction": j} for j in Jurisdiction.objects.order_by("path")[:2]]
    scopes += [{"enterprise": e} for e in Enterprise.objects.order_by("pk")[:1]]
    return scopes


def _n(value: Any) -> Any:
    """A float sum to 9 decimals (facts add a volume's groups in another order: the last digits may differ)."""
    return round(value, 9) if isinstance(value, float) else value


def _figures(result: Any) -> tuple[Any, ...]:
    return (
        (_n(result.total.numerator), result.total.denominator),
        [(r.key, r.label, _n(r.numerator), r.denominator) for r in result.rows],
        result.extra,
    )


def _assert_same_everywhere(codes: set[str] | None = None) -> int:
    """Every indicator (of ``codes``) at every group_by, period and scope: facts == live. Returns the cases compared."""
    assert facts_ready(), "the facts should be exact after the inline refresh"
    compared = 0
    for ind in indicators_all():
        if codes is not None and ind.code not in codes:
            continue
        for date_from, date_to in PERIODS:
            for scope in _scopes():
                for group_by in (None, *ind.group_bys):
                    query = q(ind.code, date_from, date_to, group_by=group_by, **scope)
                    facts, live = compute(query), compute(query, live=True)
                    assert _figures(facts) == _figures(live), (ind.code, date_from, date_to, scope, group_by)
                    compared += 1
    return compared


@pytest.mark.parametrize(
    "world",
    ["certificates_world", "exams_world", "volumes_world", "annual_world", "new_employee_world", "public_world"],
)
def test_facts_give_the_live_figures_for_every_indicator_and_group_by(world: str, request: Any) -> None:
    request.getfixturevalue(world)
    assert _assert_same_everywhere() > 100
    # The facts compute read were there (the comparison is not facts-less live against live).
    built = {
        "certificates_world": models.HolderFact,
        "exams_world": models.ExamPairFact,
        "volumes_world": models.LedgerDayFact,
        "annual_world": models.AnnualFact,
        "new_employee_world": models.NewHireFact,
    }
    assert world not in built or built[world].objects.exists()


def test_the_facts_are_what_compute_reads(request: pytest.FixtureRequest) -> None:
    """Not a tautology: with the facts emptied behind compute's back, the fact path sees nothing."""
    request.getfixturevalue("certificates_world")
    query = q("principal_certified_rate", D(2026, 1, 1), D(2026, 6, 30))
    live = compute(query, live=True)
    assert live.total.denominator
    assert compute(query).total == live.total
    assert models.HolderFact.objects.exists()
    models.HolderFact.objects.all().delete()
    assert compute(query).total.denominator == 0
    facts_rebuild()
    assert compute(query).total == live.total


def _fact_rows() -> list[list[tuple[Any, ...]]]:
    return [
        sorted(m.objects.values_list(*[f.attname for f in m._meta.fields if f.name != "id"]))
        for m in (models.ExamPairFact, models.HolderFact, models.CompletionFact)
    ]


def test_a_certificate_revoked_by_a_queryset_update_reaches_the_next_question(request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("certificates_world")
    facts_refresh()
    assert not models.FactDirty.objects.exists()
    query = q("principal_certified_rate", D(2026, 1, 1), D(2026, 6, 30))
    before = compute(query).total
    holder = Certificate.objects.get(holder__name="张有效")
    # No save(), no signal: the trigger still marks the holder.
    Certificate.objects.filter(pk=holder.pk).update(
        status="revoked", revoked_at=timezone.now() - dt.timedelta(days=400)
    )
    assert models.FactDirty.objects.filter(kind="person", key=holder.holder_id).exists()
    after = compute(query).total
    assert (after.numerator, after.denominator) == (before.numerator - 1, before.denominator)
    assert not models.FactDirty.objects.exists()
    Certificate.objects.filter(holder__name="吴导入").delete()
    Employment.objects.filter(person__name="陈末日").update(end_date=D(2026, 6, 1))
    assert _assert_same_everywhere(FACT_CODES)
    incremental = _fact_rows()
    facts_rebuild()
    assert _fact_rows() == incremental


def test_exam_writes_and_a_status_change_reach_the_next_question(request: pytest.FixtureRequest) -> None:
    w = request.getfixturevalue("exams_world")
    facts_refresh()
    query = q("exam_pass_rate", D(2026, 1, 1), D(2026, 3, 31), group_by="jurisdiction")
    before = _figures(compute(query))
    Attempt.objects.filter(person=w.p.p2, seq=1).update(score=70, passed=True)  # regraded
    Employment.objects.filter(person=w.p.p6, enterprise=w.B).update(start_date=D(2026, 4, 1))
    status(w.A, D(2026, 3, 1), industry="hazardous_chemicals", above_scale=True, jurisdiction=w.district)
    assert models.FactDirty.objects.filter(kind="enterprise", key=w.A.pk).exists()
    assert _figures(compute(query)) == _figures(compute(query, live=True)) != before
    assert _assert_same_everywhere(FACT_CODES)
    incremental = _fact_rows()
    facts_rebuild()
    assert _fact_rows() == incremental


def test_a_long_queue_reads_the_live_sql_until_the_refresh(request: pytest.FixtureRequest, settings: Any) -> None:
    a = request.getfixturevalue("certificates_world").A
    facts_refresh()
    settings.ANALYTICS_FACTS_INLINE_REFRESH = 1
    query = q("special_operator_certified_rate", D(2026, 1, 1), D(2026, 6, 30))
    before = compute(query).total
    for name in ("新甲", "新乙"):
        certificate(
            person(a, name, D(2020, 1, 1), post="special_operator"),
            CertificateType.SPECIAL_OPERATOR,
            D(2025, 1, 1),
            D(2028, 1, 1),
        )
    assert models.FactDirty.objects.count() > 1
    assert not facts_ready()
    got = compute(query).total  # live: right without the facts
    assert (got.numerator, got.denominator) == (before.numerator + 2, before.denominator + 2)
    call_command("analytics_refresh", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not models.FactDirty.objects.exists()
    assert facts_ready()
    assert compute(query).total == got


def test_facts_never_built_read_the_live_sql(request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("certificates_world")
    models.FactState.objects.update(built_at=None)
    models.HolderFact.objects.all().delete()
    assert not facts_ready()
    query = q("principal_certified_rate", D(2026, 1, 1), D(2026, 6, 30))
    assert compute(query).total == compute(query, live=True).total
    assert compute(query).total.denominator


def test_completions_and_employments_moved_between_enterprises(request: pytest.FixtureRequest) -> None:
    """A completion is placed by the employment on its day: moving the employment moves it."""
    request.getfixturevalue("volumes_world")
    facts_refresh()
    query = q("course_completions", D(2025, 1, 1), D(2026, 12, 31), group_by="enterprise")
    before = _figures(compute(query))
    moved = Employment.objects.filter(person__user__training_assignments__status="completed").order_by("pk").first()
    if moved is None:
        pytest.skip("the volumes world has no completion by an employee")
    other = Enterprise.objects.exclude(pk=moved.enterprise_id).order_by("pk").first()
    Employment.objects.filter(pk=moved.pk).update(enterprise=other)
    assert _figures(compute(query)) == _figures(compute(query, live=True)) != before


def test_a_new_employees_completion_reaches_the_facts(request: pytest.FixtureRequest) -> None:
    """A hire after as_of, then a completion: both reach the facts through the triggers."""
    w = request.getfixturevalue("certificates_world")
    p = person(w.A, "新学员", D(2026, 2, 1))
    employ(p, w.B, D(2026, 3, 1))
    from tests.analytics.ind_fixtures import public_course

    complete(p.user, public_course(), D(2026, 3, 5))
    query = q("course_completions", D(2026, 1, 1), D(2026, 6, 30), group_by="enterprise")
    assert _figures(compute(query)) == _figures(compute(query, live=True))
    assert models.CompletionFact.objects.filter(person=p).exists()


def test_a_catalogue_change_reads_the_live_sql_until_the_rebuild(request: pytest.FixtureRequest) -> None:
    """A requirement profile edited: every fact may change, so questions read the live SQL (no rebuild inline)."""
    request.getfixturevalue("new_employee_world")
    facts_refresh()
    from training.models import RequirementProfile

    profile = RequirementProfile.objects.order_by("pk").first()
    RequirementProfile.objects.filter(pk=profile.pk).update(initial_hours=profile.initial_hours + 1)
    assert models.FactDirty.objects.filter(kind="all").exists()
    assert not facts_ready()
    facts_refresh()
    assert facts_ready()
    assert _assert_same_everywhere(FACT_CODES)
