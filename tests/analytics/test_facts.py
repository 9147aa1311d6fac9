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
from types import SimpleNamespace
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


# --- active_learners: the previous active day per partition (models.LearnerDayFact) ----------------


@pytest.fixture
def learners_world(db: None) -> SimpleNamespace:
    """A city with two districts, streets and a sub-street node (depths 0–3); people who
    train at several enterprises, streets and districts within the periods, at an
    enterprise that moves district and industry, on a district node itself, twice a day."""
    from tests.analytics.ind_fixtures import credit, enterprise
    from tests.conftest import ensure_industries
    from tests.factories import make_jurisdiction

    ensure_industries()
    city = make_jurisdiction("3301", "杭州市", kind=Jurisdiction.Kind.DISTRICT)
    d1 = make_jurisdiction("330101", "东城区", parent=city, kind=Jurisdiction.Kind.DISTRICT)
    d2 = make_jurisdiction("330102", "西城区", parent=city, kind=Jurisdiction.Kind.DISTRICT)
    s11 = make_jurisdiction("330101001", "一街道", parent=d1)
    s12 = make_jurisdiction("330101002", "二街道", parent=d1)
    s21 = make_jurisdiction("330102001", "三街道", parent=d2)
    deep = make_jurisdiction("330101001001", "一社区", parent=s11)
    e1, e2 = enterprise(s11, "甲"), enterprise(s12, "乙", "hazardous_chemicals")
    e3, e4 = enterprise(d1, "丙"), enterprise(s21, "丁")
    e5, e6 = enterprise(s11, "戊搬迁"), enterprise(deep, "己")
    status(e5, D(2026, 2, 1), industry="hazardous_chemicals", above_scale=True, jurisdiction=s21)
    people = {name: person(e1, name, D(2020, 1, 1)) for name in ("一", "二", "三", "四", "五", "六")}
    for name, e, day in [
        ("一", e1, D(2026, 1, 10)),
        ("一", e2, D(2026, 2, 10)),
        ("一", e1, D(2026, 3, 5)),
        ("二", e1, D(2025, 12, 31)),
        ("二", e1, D(2026, 1, 15)),
        ("二", e1, D(2026, 4, 2)),
        ("三", e5, D(2026, 1, 20)),
        ("三", e5, D(2026, 2, 20)),
        ("四", e3, D(2026, 1, 15)),
        ("四", e4, D(2026, 1, 15)),
        ("四", e4, D(2026, 1, 15)),
        ("四", e4, D(2026, 3, 31)),
        ("五", e6, D(2026, 2, 1)),
        ("五", e1, D(2026, 2, 2)),
        ("五", e6, D(2026, 5, 1)),
        ("六", e2, D(2026, 7, 1)),
    ]:
        credit(people[name], e, day, 1)
    return SimpleNamespace(city=city, d1=d1, d2=d2, s11=s11, s21=s21, deep=deep, e1=e1, e5=e5, people=people)


LEARNER_PERIODS = [
    (D(2026, 1, 1), D(2026, 3, 31)),
    (D(2026, 1, 15), D(2026, 2, 20)),
    (D(2026, 2, 2), D(2026, 2, 2)),
    (D(2025, 6, 1), D(2026, 12, 31)),
]


def _learner_scopes() -> list[dict[str, Any]]:
    scopes: list[dict[str, Any]] = [{}]
    scopes += [{"jurisdiction": j} for j in Jurisdiction.objects.order_by("path")]
    for e in Enterprise.objects.order_by("pk"):
        scopes += [{"enterprise": e}, {"enterprise": e, "jurisdiction": e.jurisdiction}]
    return scopes


def _assert_learners_same() -> int:
    from analytics.indicators import indicator_get

    assert facts_ready()
    compared = 0
    for date_from, date_to in LEARNER_PERIODS:
        for scope in _learner_scopes():
            for group_by in (None, *indicator_get("active_learners").group_bys):
                query = q("active_learners", date_from, date_to, group_by=group_by, **scope)
                assert _figures(compute(query)) == _figures(compute(query, live=True)), (
                    date_from,
                    date_to,
                    scope,
                    group_by,
                )
                compared += 1
    return compared


def test_active_learners_facts_give_the_live_figures_everywhere(learners_world: SimpleNamespace) -> None:
    assert _assert_learners_same() > 500
    assert models.LearnerDayFact.objects.exists()
    # Not vacuous: people are counted once in the total and once per group they trained in.
    got = compute(q("active_learners", D(2026, 1, 1), D(2026, 3, 31), group_by="jurisdiction"))
    assert got.total.numerator == 5
    assert [(r.key, r.numerator) for r in got.rows] == [("3301", 5)]
    got = compute(
        q("active_learners", D(2026, 1, 1), D(2026, 3, 31), group_by="jurisdiction", jurisdiction=learners_world.city)
    )
    assert sorted((r.key, r.numerator) for r in got.rows) == [("330101", 5), ("330102", 2)]
    got = compute(q("active_learners", D(2026, 1, 1), D(2026, 3, 31), group_by="month"))
    assert [(r.key, r.numerator) for r in got.rows] == [("2026-01", 4), ("2026-02", 3), ("2026-03", 2)]


@pytest.mark.parametrize(
    ("scope", "group_by", "distinct"),
    [
        ({}, None, 0),
        ({}, "jurisdiction", 0),
        ({}, "enterprise", 0),
        ({}, "industry", 0),
        ({}, "month", 0),
        ({"jurisdiction": "city"}, None, 0),
        ({"jurisdiction": "city"}, "jurisdiction", 0),
        ({"jurisdiction": "city"}, "enterprise", 0),
        ({"jurisdiction": "d1"}, "jurisdiction", 0),
        ({"jurisdiction": "s11"}, "quarter", 0),
        ({"enterprise": "e1"}, None, 0),
        ({"enterprise": "e5"}, "enterprise", 0),
        ({"enterprise": "e1", "jurisdiction": "s11"}, "month", 0),
        # 戊 moved from 东城区 to 西城区: its learners are counted apart, the others by their partition.
        ({"jurisdiction": "d1"}, "enterprise", 1),
    ],
)
def test_active_learners_common_shapes_count_first_rows_not_distinct(
    learners_world: SimpleNamespace, scope: dict[str, str], group_by: str | None, distinct: int
) -> None:
    """The shapes a dashboard asks read a partition's previous day: a plain filtered COUNT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = q(
        "active_learners",
        D(2026, 1, 1),
        D(2026, 3, 31),
        group_by=group_by,
        **{k: getattr(learners_world, v) for k, v in scope.items()},
    )
    assert facts_ready()
    with CaptureQueriesContext(connection) as ctx:
        facts = compute(query)
    sql = [x["sql"].upper() for x in ctx.captured_queries]
    assert any("LEARNERDAYFACT" in s for s in sql)
    assert sum("COUNT(DISTINCT" in s for s in sql) == distinct
    assert _figures(facts) == _figures(compute(query, live=True))


def _learner_rows() -> list[tuple[Any, ...]]:
    fields = [f.attname for f in models.LearnerDayFact._meta.fields if f.name != "id"]
    return sorted(models.LearnerDayFact.objects.values_list(*fields))


def test_active_learners_facts_follow_ledger_status_and_tree_writes(learners_world: SimpleNamespace) -> None:
    from django.db import connection

    from tests.analytics.ind_fixtures import credit
    from training.models import CreditLedger

    w = learners_world
    facts_refresh()
    query = q("active_learners", D(2026, 1, 1), D(2026, 3, 31), group_by="jurisdiction", jurisdiction=w.city)
    before = _figures(compute(query))
    entry = credit(w.people["六"], w.e1, D(2026, 3, 1), 1)  # a new learner in the period
    assert models.FactDirty.objects.filter(kind="learner", key=w.people["六"].user_id).exists()
    after = _figures(compute(query))
    assert after[0][0] == before[0][0] + 1
    assert not models.FactDirty.objects.exists()
    # The ledger is append-only for the application; a correction by SQL still reaches the facts.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CreditLedger._meta.db_table} SET started_at = %s WHERE id = %s",  # noqa: S608
            [entry.started_at - dt.timedelta(days=90), entry.pk],
        )
    assert _figures(compute(query)) == before
    status(w.e1, D(2026, 3, 1), industry="machinery", above_scale=True, jurisdiction=w.d2)
    assert _assert_learners_same()
    incremental = _learner_rows()
    facts_rebuild()
    assert _learner_rows() == incremental
    # A street moved to the other district: every jurisdiction partition may change.
    w.s11.parent = w.d2
    w.s11.save()
    assert models.FactDirty.objects.filter(kind="tree").exists()
    assert not facts_ready()  # a whole-table rebuild is the refresh's work: live meanwhile
    assert _figures(compute(query)) == _figures(compute(query, live=True))
    facts_refresh()
    assert _assert_learners_same()
    incremental = _learner_rows()
    facts_rebuild()
    assert _learner_rows() == incremental


def test_a_long_queue_with_tree_markers_rebuilds_the_learner_table_once(learners_world: SimpleNamespace) -> None:
    """The refresh works through the queue 20,000 markers at a time; jurisdictions moved at
    both ends of a long queue rebuild the whole learner table once, after the batches (it
    took minutes at a million people), not once per batch holding a move."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = learners_world
    facts_refresh()
    w.s11.parent = w.d2
    w.s11.save()
    # A bulk write touching one person 20,000 times (a large import does such things).
    models.FactDirty.objects.bulk_create(
        [models.FactDirty(kind="person", key=w.people["一"].pk) for _ in range(20_000)], batch_size=2000
    )
    s12 = Jurisdiction.objects.get(code="330101002")
    s12.parent = w.d2
    s12.save()
    assert models.FactDirty.objects.filter(kind="tree").count() >= 2
    pending = models.FactDirty.objects.count()
    # The whole table emptied: a DELETE with no WHERE (a learner's refresh names its learners).
    emptied = "DELETE FROM " + connection.ops.quote_name(models.LearnerDayFact._meta.db_table)  # noqa: S608
    with CaptureQueriesContext(connection) as ctx:
        got = facts_refresh()
    whole_table = [x["sql"] for x in ctx.captured_queries if x["sql"].strip() == emptied]
    assert len(whole_table) == 1
    assert got["markers"] == pending
    assert not models.FactDirty.objects.exists()
    assert _assert_learners_same()
    incremental = _learner_rows()
    facts_rebuild()
    assert _learner_rows() == incremental
