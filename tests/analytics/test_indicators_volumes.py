"""training_hours, active_learners and course_completions on hand-built rows.

Period 2026-01-01 … 2026-03-31. A (machinery) on street 1, B (hazardous
chemicals) on the district itself, G on street 1 until 2026-02-01 and on
street 2 from then on. One 学时 is 45 minutes unless a profile says otherwise.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from analytics.indicators import compute, people
from tests.analytics import ind_fixtures as fx
from tests.analytics.ind_figures import machinery_and_chemicals
from training.models import Assignment, Course, CreditLedger, RequirementProfile

D = dt.date
FROM, TO = D(2026, 1, 1), D(2026, 3, 31)
P = CreditLedger.Purpose


@pytest.fixture
def w(db: None) -> SimpleNamespace:
    district, (s1, s2) = fx.east_district(2)
    A, B = machinery_and_chemicals(s1, district)
    G = fx.enterprise(s1, "庚搬迁")
    fx.status(G, D(2026, 2, 1), industry="machinery", above_scale=True, jurisdiction=s2)
    pa1 = fx.person(A, "张一", D(2020, 1, 1))
    pa2 = fx.person(A, "李二", D(2020, 1, 1))
    pb = fx.person(B, "王三", D(2020, 1, 1))
    pg = fx.person(G, "赵四", D(2020, 1, 1))
    fx.credit(pa1, A, D(2026, 1, 10), 2)
    fx.credit(pa1, A, D(2026, 2, 10), 3, P.ANNUAL)
    fx.credit(pa2, A, D(2026, 3, 31), 1.5, P.OTHER, hour=23, minute=30)  # late evening on the last day: in
    fx.credit(pa2, A, D(2026, 4, 1), 5, hour=0, minute=30)  # 03-31 in UTC, 04-01 here: out
    fx.credit(pa2, A, D(2025, 12, 31), 7)  # before the period
    fx.credit(pb, B, D(2026, 1, 15), 4)
    fx.credit(pg, G, D(2026, 1, 20), 1)  # G on street 1 that day
    fx.credit(pg, G, D(2026, 3, 1), 2)  # G on street 2 that day
    public = fx.resident(district, "居民")
    fx.credit(public.user, None, D(2026, 2, 1), 10)  # no enterprise: not an employee's training
    # Completions: pa1 one course at A; pt two, at A then at B after a transfer.
    courses = [Course.objects.create(title=f"课程{i}", owner_provider=fx.provider()) for i in range(5)]
    fx.complete(pa1.user, courses[0], D(2026, 2, 1))
    pt = fx.person(A, "孙调动")
    fx.employ(pt, A, D(2020, 1, 1), D(2026, 1, 31))
    fx.employ(pt, B, D(2026, 2, 1))
    fx.complete(pt.user, courses[1], D(2026, 1, 20))
    fx.complete(pt.user, courses[2], D(2026, 3, 1))
    fx.complete(pt.user, courses[3], D(2026, 4, 2))  # after the period
    Assignment.objects.create(learner=pa2.user, course=courses[4], status=Assignment.Status.IN_PROGRESS)
    fx.complete(public.user, courses[4], D(2026, 2, 2), source=Assignment.Source.PUBLIC)  # a resident
    return SimpleNamespace(district=district, s1=s1, s2=s2, A=A, B=B, G=G)


def grouped(code: str, w: SimpleNamespace, by: str) -> dict[str, float]:
    rows = compute(fx.q(code, FROM, TO, jurisdiction=w.district, group_by=by)).rows
    assert all(r.denominator is None and r.rate is None for r in rows)
    return {r.key if by != "enterprise" else r.label: r.numerator for r in rows}


def test_training_hours(w):
    result = compute(fx.q("training_hours", FROM, TO, jurisdiction=w.district))
    assert result.total.numerator == pytest.approx(2 + 3 + 1.5 + 4 + 1 + 2)
    assert (result.total.denominator, result.total.rate) == (None, None)
    assert isinstance(result.total.numerator, float)  # 学时 as a float, on every database
    assert grouped("training_hours", w, "jurisdiction") == pytest.approx(
        {"330101001": 6.5 + 1, "330101002": 2, "330101": 4}
    )
    assert grouped("training_hours", w, "month") == pytest.approx({"2026-01": 7, "2026-02": 3, "2026-03": 3.5})
    assert grouped("training_hours", w, "enterprise") == pytest.approx({"甲机械": 6.5, "乙化工": 4, "庚搬迁": 3})
    assert grouped("training_hours", w, "industry") == pytest.approx({"machinery": 9.5, "hazardous_chemicals": 4})
    assert grouped("training_hours", w, "quarter") == pytest.approx({"2026-Q1": 13.5})
    assert grouped("training_hours", w, "year") == pytest.approx({"2026": 13.5})


def test_training_hours_follow_the_profile_minutes(w):
    RequirementProfile.objects.filter(high_risk=True, post="employee").update(minutes_per_hour=60)
    # B's 4 学时 of 45 minutes are 180 minutes: 3 学时 of 60.
    assert grouped("training_hours", w, "enterprise")["乙化工"] == pytest.approx(3)


def test_active_learners_are_distinct(w):
    result = compute(fx.q("active_learners", FROM, TO, jurisdiction=w.district))
    # 赵四 trained on both streets: once in the total, once on each street.
    assert result.total.numerator == 4
    assert grouped("active_learners", w, "jurisdiction") == {"330101001": 3, "330101002": 1, "330101": 1}
    assert grouped("active_learners", w, "month") == {"2026-01": 3, "2026-02": 1, "2026-03": 2}
    assert sorted(x.name for x in people(fx.q("active_learners", FROM, TO, jurisdiction=w.s1))) == [
        "张一",
        "李二",
        "赵四",
    ]
    assert people(fx.q("active_learners", FROM, TO, jurisdiction=w.s1), status="missing") == []


def test_course_completions_follow_the_employment(w):
    result = compute(fx.q("course_completions", FROM, TO, jurisdiction=w.district))
    assert result.total.numerator == 3
    assert grouped("course_completions", w, "enterprise") == {"甲机械": 2, "乙化工": 1}
    lines = people(fx.q("course_completions", FROM, TO, enterprise=w.B))
    assert [(x.name, x.enterprise_name, x.status) for x in lines] == [("孙调动", "乙化工", "counted")]


def test_empty_scope_is_zero_not_an_error(w):
    for code in ("training_hours", "active_learners", "course_completions"):
        result = compute(fx.q(code, D(2024, 1, 1), D(2024, 12, 31), jurisdiction=w.district, group_by="jurisdiction"))
        assert (result.total.numerator, result.total.denominator, result.total.rate) == (0, None, None)
        assert {r.key: r.numerator for r in result.rows} == {"330101001": 0, "330101002": 0}


@pytest.mark.parametrize("facts", [False, True], ids=["live", "facts"])
def test_the_whole_tree_and_a_part_of_it_count_alike(w, facts):
    """Asked about the district while it is the whole tree, every placed subject
    counts (``placed_in_subtree``'s plain ``IS NOT NULL``); with a second
    district beside it (the subtree check proper) the same figures, the other
    district's training left out; an entry on a day its enterprise had no status
    in force is left out either way."""
    from organizations.models import Jurisdiction

    late = fx.enterprise(w.s1, "辛新办")
    late.statuses.all().delete()
    fx.status(late, D(2026, 3, 1), industry="machinery", above_scale=True, jurisdiction=w.s1)
    pl = fx.person(late, "钱五", D(2020, 1, 1))
    fx.credit(pl, late, D(2026, 2, 15), 8)  # no status in force that day: nowhere
    fx.credit(pl, late, D(2026, 3, 2), 0.5)

    def figures() -> tuple[float, float, dict[str, float]]:
        def ask(code: str, by: str | None = None):
            return compute(fx.q(code, FROM, TO, jurisdiction=w.district, group_by=by), live=not facts)

        by_enterprise = {r.label: r.numerator for r in ask("training_hours", "enterprise").rows}
        # By industry on the facts: the industry partition (whole tree) against the distinct count (a part).
        learners_by_industry = {r.key: r.numerator for r in ask("active_learners", "industry").rows}
        totals = (ask("training_hours").total.numerator, ask("active_learners").total.numerator)
        return (*totals, by_enterprise, learners_by_industry)

    assert not Jurisdiction.objects.exclude(path__startswith=w.district.path).exists()
    alone = figures()
    assert alone[0] == pytest.approx(13.5 + 0.5)
    assert alone[1] == 5  # 张一, 李二, 王三, 赵四, 钱五
    assert alone[2]["辛新办"] == pytest.approx(0.5)
    assert alone[3] == {"machinery": 4, "hazardous_chemicals": 1}  # 张一, 李二, 赵四, 钱五; 王三

    west = fx.factories.make_jurisdiction("330102", "西城区")
    other = fx.enterprise(west, "壬西城")
    fx.credit(fx.person(other, "周六", D(2020, 1, 1)), other, D(2026, 2, 1), 6)
    beside = figures()
    assert beside[:2] == pytest.approx(alone[:2])
    assert beside[2] == pytest.approx(alone[2])
    assert beside[3] == alone[3]
