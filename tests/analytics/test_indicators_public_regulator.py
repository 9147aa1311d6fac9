"""public_first_aid_coverage and regulator_training_rate on hand-built rows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from analytics.indicators import compute, indicator_get, people
from organizations.models import RoleGrant
from tests import factories
from tests.analytics.ind_figures import by_key
from tests.analytics.ind_fixtures import (
    attempt,
    complete,
    east_district,
    enterprise,
    person,
    provider,
    public_course,
    q,
    resident,
    session,
)
from training.models import Assignment, Course, PublicLearner

D = dt.date
FROM, TO = D(2026, 1, 1), D(2026, 3, 31)
PUBLIC = Assignment.Source.PUBLIC
BUREAU = RoleGrant.Role.BUREAU_OFFICIAL


@pytest.fixture
def w(db: None) -> SimpleNamespace:
    district, (s1, s2, s3) = east_district(3)
    west = factories.make_jurisdiction("330102", "西城区")
    district.population, s1.population, s3.population = 10000, 4000, 1000
    for j in (district, s1, s3):
        j.save()
    A = enterprise(s1, "甲机械")
    aid, aid2 = public_course(), public_course()
    r1 = resident(s1, "居民一")
    complete(r1.user, aid, D(2026, 2, 1), PUBLIC)
    r2 = resident(s1, "居民二")  # two courses: counted once, in the month of the first
    complete(r2.user, aid, D(2026, 3, 5), PUBLIC)
    complete(r2.user, aid2, D(2026, 1, 10), PUBLIC)
    r3 = resident(district, "居民三")
    complete(r3.user, aid, D(2026, 1, 20), PUBLIC)
    complete(resident(s2, "居民四").user, aid, D(2026, 4, 2), PUBLIC)  # after the period
    Assignment.objects.create(learner=resident(s3, "居民五").user, course=aid, source=PUBLIC)  # not completed
    complete(resident(s2, "居民六").user, aid, D(2026, 2, 1), Assignment.Source.MANUAL)  # not self-enrolled
    complete(resident(west, "居民七").user, aid, D(2026, 2, 1), PUBLIC)
    return SimpleNamespace(district=district, s1=s1, s2=s2, s3=s3, west=west, A=A)


COVER = "public_first_aid_coverage"


def test_coverage_over_the_population(w):
    result = compute(q(COVER, FROM, TO, jurisdiction=w.district))
    assert (result.total.numerator, result.total.denominator) == (3, 10000)
    assert result.total.rate == pytest.approx(0.0003)
    assert indicator_get(COVER).target == 0.02
    assert sorted(x.name for x in people(result.query, status="counted")) == ["居民一", "居民三", "居民二"]


def test_the_missing_are_the_registered_residents_not_trained_in_the_period(w):
    PublicLearner.objects.update(created_at=timezone.make_aware(dt.datetime(2025, 12, 1)))
    query = q(COVER, FROM, TO, jurisdiction=w.district)
    with translation.override("zh-hans"):
        missing = {x.name: x.reason for x in people(query, status="missing")}
    # 居民四 completed after the period, 居民五 never completed, 居民六 was assigned (not
    # self-enrolled): registered, not trained. 居民七 is in the other district.
    assert set(missing) == {"居民四", "居民五", "居民六"}
    assert "未在统计期内完成" in missing["居民五"]
    assert all(x.status == "missing" for x in people(query, status="missing"))
    assert {x.name for x in people(query)} == {"居民一", "居民二", "居民三", "居民四", "居民五", "居民六"}
    # A resident who registered after as_of is not missing then; an enterprise has no residents.
    PublicLearner.objects.filter(name="居民五").update(created_at=timezone.make_aware(dt.datetime(2026, 4, 15)))
    assert {x.name for x in people(query, status="missing")} == {"居民四", "居民六"}
    assert people(q(COVER, FROM, TO, enterprise=w.A)) == []
    assert people(q(COVER, FROM, TO, enterprise=w.A)) == []


def test_coverage_by_jurisdiction_divides_by_each_childs_population(w):
    rows = compute(q(COVER, FROM, TO, jurisdiction=w.district, group_by="jurisdiction")).rows
    got = {r.key: (r.numerator, r.denominator, r.rate) for r in rows}
    assert got["330101001"] == (2, 4000, pytest.approx(0.0005))
    assert got["330101002"] == (0, 0, None)  # no population configured
    assert got["330101003"] == (0, 1000, 0)
    assert got["330101"] == (1, 10000, pytest.approx(0.0001))  # registered on the district itself


def test_coverage_by_month(w):
    assert by_key(q(COVER, FROM, TO, jurisdiction=w.district, group_by="month")) == {
        "2026-01": (2, 10000),
        "2026-02": (1, 10000),
    }


def test_coverage_without_population_or_for_an_enterprise(w):
    west = compute(q(COVER, FROM, TO, jurisdiction=w.west))
    assert (west.total.numerator, west.total.denominator, west.total.rate) == (1, 0, None)
    mine = compute(q(COVER, FROM, TO, enterprise=w.A))
    assert (mine.total.numerator, mine.total.denominator, mine.total.rate) == (0, 0, None)
    # The whole platform: the district's 10000 and nothing configured in the west.
    platform = compute(q(COVER, FROM, TO))
    assert (platform.total.numerator, platform.total.denominator) == (4, 10000)


def test_a_district_without_a_figure_adds_up_its_streets(w):
    w.district.population = None
    w.district.save()
    assert compute(q(COVER, FROM, TO, jurisdiction=w.district)).total.denominator == 5000


REG = "regulator_training_rate"


@pytest.fixture
def regulators(w: SimpleNamespace) -> SimpleNamespace:
    courses = [Course.objects.create(title=f"监管课程{i}", owner_provider=provider()) for i in range(4)]
    u1 = factories.make_user("reg1", display_name="局长甲")
    factories.grant(u1, BUREAU, jurisdiction=w.district)
    complete(u1, courses[0], D(2026, 3, 1))
    complete(u1, courses[1], D(2026, 5, 1))
    inspector = person(w.A, "检查员乙", D(2020, 1, 1))  # a regulator who also has a person record
    u2 = inspector.user
    factories.grant(u2, BUREAU, jurisdiction=w.s1)
    complete(u2, courses[0], D(2026, 2, 1))
    Assignment.objects.create(learner=u2, course=courses[1], status=Assignment.Status.IN_PROGRESS)
    exam = session(D(2026, 2, 10))
    attempt(exam, inspector, score=80)
    u3 = factories.make_user("reg3", display_name="科长丙")  # two grants: counted once, on the district
    factories.grant(u3, BUREAU, jurisdiction=w.s1)
    factories.grant(u3, BUREAU, jurisdiction=w.district)
    complete(u3, courses[0], D(2025, 6, 1))
    complete(u3, courses[1], D(2026, 1, 5))
    complete(u3, courses[2], D(2026, 6, 5))
    u4 = factories.make_user("reg4", display_name="西城丁")
    factories.grant(u4, BUREAU, jurisdiction=w.west)
    complete(u4, courses[0], D(2026, 1, 5))
    complete(u4, courses[1], D(2026, 1, 6))
    admin = factories.make_user("entadmin")
    factories.grant(admin, RoleGrant.Role.ENTERPRISE_ADMIN, enterprise=w.A)
    complete(admin, courses[0], D(2026, 1, 5))
    return SimpleNamespace(u1=u1, u2=u2, u3=u3, u4=u4)


def test_regulators_in_the_year(w, regulators):
    result = compute(q(REG, D(2026, 1, 1), D(2026, 6, 30), jurisdiction=w.district))
    # 局长甲 2 ✓, 检查员乙 1 ✗, 科长丙 2 in 2026 ✓; 西城丁 is in the other district.
    assert (result.total.numerator, result.total.denominator) == (2, 3)
    assert result.extra == {"exam_sat": 1, "exam_passed": 1, "exam_pass_rate": 1.0}
    rows = compute(q(REG, D(2026, 1, 1), D(2026, 6, 30), jurisdiction=w.district, group_by="jurisdiction")).rows
    got = {r.key: (r.numerator, r.denominator) for r in rows}
    assert got == {"330101": (2, 2), "330101001": (0, 1), "330101002": (0, 0), "330101003": (0, 0)}


def test_regulators_min_trainings_and_years(w, regulators):
    three = q(REG, D(2026, 1, 1), D(2026, 6, 30), jurisdiction=w.district, params={"min_trainings": 3})
    assert compute(three).total.numerator == 0
    two_years = compute(q(REG, D(2025, 1, 1), D(2026, 6, 30), jurisdiction=w.district, group_by="year"))
    assert (two_years.total.numerator, two_years.total.denominator) == (2, 6)
    assert {r.key: (r.numerator, r.denominator) for r in two_years.rows} == {"2025": (0, 3), "2026": (2, 3)}
    # Up to 2026-03-31 局长甲 has one training and 科长丙 one.
    assert compute(q(REG, D(2026, 1, 1), D(2026, 12, 31), today=D(2026, 3, 31))).total.numerator == 1


def test_regulator_people(w, regulators):
    with translation.override("en"):
        lines = people(q(REG, D(2026, 1, 1), D(2026, 6, 30), jurisdiction=w.district))
    got = sorted((x.name, x.status, x.reason) for x in lines)
    assert got == [
        ("局长甲", "counted", ""),
        ("检查员乙", "missing", "completed 1 of 2 trainings"),
        ("科长丙", "counted", ""),
    ]


def test_regulators_are_not_an_enterprise_figure(w, regulators):
    result = compute(q(REG, D(2026, 1, 1), D(2026, 6, 30), enterprise=w.A))
    assert (result.total.denominator, result.total.rate) == (0, None)
    assert result.extra["exam_pass_rate"] is None
