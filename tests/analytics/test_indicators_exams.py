"""exam_pass_rate and its average score, on hand-built sessions and attempts.

Period 2026-01-01 … 2026-03-31. Pass mark 60. A is on street 1, B on the district.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone, translation

from analytics.indicators import compute, people
from exams.models import Attempt
from tests.analytics.ind_figures import by_key, by_label, machinery_and_chemicals_district
from tests.analytics.ind_fixtures import attempt, employ, enterprise, person, q, session

CODE = "exam_pass_rate"
D = dt.date
FROM, TO = D(2026, 1, 1), D(2026, 3, 31)


@pytest.fixture
def w(db: None) -> SimpleNamespace:
    district, s1, A, B = machinery_and_chemicals_district()
    C = enterprise(s1, "丙无考")
    p = SimpleNamespace(
        p1=person(A, "张补考", D(2020, 1, 1)),
        p2=person(A, "李未过", D(2020, 1, 1)),
        p3=person(A, "王缺考", D(2020, 1, 1)),
        p4=person(A, "赵作废", D(2020, 1, 1)),
        p5=person(B, "钱乙厂", D(2020, 1, 1)),
        p6=person(A, "孙调动"),
    )
    employ(p.p6, A, D(2020, 1, 1), D(2026, 2, 15))
    employ(p.p6, B, D(2026, 2, 16))
    jan = session(D(2026, 1, 31), title="考试一")
    mar = session(D(2026, 3, 31), title="考试二")
    attempt(jan, p.p1, score=40)
    attempt(jan, p.p1, score=80, seq=2)  # the retake passed: the best attempt counts
    attempt(jan, p.p2, score=50)
    attempt(jan, p.p2, score=55, seq=2, status=Attempt.Status.INVALIDATED)
    attempt(jan, p.p3, score=None)  # prepared, never sat
    attempt(jan, p.p4, score=90, status=Attempt.Status.INVALIDATED)  # invalidated: not sat
    attempt(jan, p.p6, score=90)  # at A on 01-31
    attempt(mar, p.p1, score=60)  # exactly the pass mark
    attempt(mar, p.p5, score=70)
    attempt(mar, p.p6, score=30)  # at B on 03-31
    # Outside the period: closing 2025-12-31, and 2026-04-01 00:30 local (still 03-31 in UTC).
    attempt(session(D(2025, 12, 31), title="去年"), p.p2, score=100)
    past_midnight = session(D(2026, 4, 1), title="四月")
    past_midnight.closes_at = timezone.make_aware(dt.datetime(2026, 4, 1, 0, 30))
    past_midnight.opens_at = past_midnight.closes_at - dt.timedelta(hours=2)
    past_midnight.save()
    attempt(past_midnight, p.p5, score=10, day=D(2026, 3, 31))
    return SimpleNamespace(district=district, s1=s1, A=A, B=B, C=C, p=p, jan=jan, mar=mar)


def district_by(w: SimpleNamespace, by: str) -> Any:
    """The query over the whole period in the district, grouped by ``by``."""
    return q(CODE, FROM, TO, jurisdiction=w.district, group_by=by)


def test_pass_rate_and_average(w):
    result = compute(q(CODE, FROM, TO, jurisdiction=w.district))
    # Sat: January p1 ✓ (retake), p2 ✗, p6 ✓; March p1 ✓, p5 ✓, p6 ✗.
    assert (result.total.numerator, result.total.denominator) == (4, 6)
    # Best scores 80, 50, 90, 60, 70, 30.
    assert result.extra == {"average_score": 63.3, "not_sat": 2}


def test_group_by_enterprise_follows_the_employment_on_the_closing_day(w):
    assert by_label(district_by(w, "enterprise")) == {"甲机械": (3, 4), "乙化工": (1, 2)}
    assert by_key(district_by(w, "jurisdiction")) == {"330101001": (3, 4), "330101": (1, 2)}


def test_group_by_period(w):
    def grouped(by: str) -> dict[str, tuple[int, int]]:
        return by_key(district_by(w, by))

    assert grouped("month") == {"2026-01": (2, 3), "2026-03": (2, 3)}
    assert grouped("quarter") == {"2026-Q1": (4, 6)}
    assert grouped("year") == {"2026": (4, 6)}
    assert grouped("industry") == {"machinery": (3, 4), "hazardous_chemicals": (1, 2)}


def test_people_are_the_pairs_with_the_best_score(w):
    with translation.override("en"):
        lines = people(q(CODE, FROM, TO, jurisdiction=w.district), status="missing")
    assert sorted((x.name, x.enterprise_name, x.reason) for x in lines) == [
        ("孙调动", "乙化工", "failed 考试二 (best score 30)"),
        ("李未过", "甲机械", "failed 考试一 (best score 50)"),
    ]
    counted = people(q(CODE, FROM, TO, jurisdiction=w.district), status="counted")
    assert sorted(x.name for x in counted) == ["孙调动", "张补考", "张补考", "钱乙厂"]


def test_street_scope_and_a_future_to(w):
    s1 = compute(q(CODE, FROM, D(2026, 12, 31), jurisdiction=w.s1, today=TO))
    assert (s1.total.numerator, s1.total.denominator) == (3, 4)


def test_no_exams_no_rate(w):
    result = compute(q(CODE, FROM, TO, enterprise=w.C, group_by="month"))
    assert (result.total.denominator, result.total.rate, result.rows) == (0, None, [])
    assert result.extra == {"average_score": None, "not_sat": 0}


def test_overlapping_employments_count_a_pair_once(w):
    # Two employments active on the closing day: the pair counts once, at the later-started one.
    both = person(w.A, "何兼职")
    employ(both, w.A, D(2020, 1, 1))
    employ(both, w.B, D(2025, 6, 1))
    attempt(w.mar, both, score=90)
    assert by_label(district_by(w, "enterprise")) == {"甲机械": (3, 4), "乙化工": (2, 3)}
    assert compute(q(CODE, FROM, TO, jurisdiction=w.district)).total.denominator == 7


def test_a_person_without_an_employment_counts_at_their_enterprise(w):
    loose = person(w.C, "吕无记录")  # no employment rows: their current enterprise
    attempt(w.jan, loose, score=61)
    result = compute(q(CODE, FROM, TO, enterprise=w.C))
    assert (result.total.numerator, result.total.denominator) == (1, 1)


@pytest.mark.parametrize("by", [None, "jurisdiction", "industry", "enterprise", "month", "quarter", "year"])
def test_one_pass_gives_the_figures_of_separate_passes(w, by):
    """``exam_pass_rate`` counts its total, rows and extras in one grouped
    query; they equal the generic figures (total, rows over the pairs that
    sat) and extras, including a group whose only pair did not sit (C's
    prepared paper in February is no row)."""
    from analytics.indicators import indicator_get

    p7 = person(w.C, "周没去", D(2020, 1, 1))
    attempt(session(D(2026, 2, 27), title="考试三"), p7, score=None)
    ind = indicator_get(CODE)
    for scope in ({"jurisdiction": w.district}, {"jurisdiction": w.s1}, {"enterprise": w.C}, {}):
        query = q(CODE, FROM, TO, group_by=by, **scope)
        got = compute(query)
        total, rows = ind.figures(query)
        extra = {"average_score": _generic_average(query), "not_sat": _generic_not_sat(query)}
        assert (got.total, got.rows, got.extra) == (total, rows, extra), scope
    assert compute(q(CODE, FROM, TO, jurisdiction=w.district)).extra == {"average_score": 63.3, "not_sat": 3}


def _generic_average(query):
    from django.db.models import Avg

    from analytics.indicators import indicator_get

    average = indicator_get(CODE).subjects(query).order_by().aggregate(a=Avg("best_score"))["a"]
    return round(float(average), 1) if average is not None else None


def _generic_not_sat(query):
    from analytics.definitions import _Exams

    return _Exams.pairs(query).filter(sat=False).order_by().count()
