"""annual_retraining_rate, per calendar year, on hand-built rows.

Annual requirements (seeded profiles): an employee 0 学时 outside high-risk
industries and 20 in them; a principal 12, or 16 in high-risk industries.
A is machinery, B hazardous chemicals (high risk), H machinery until
2026-06-01 and hazardous chemicals from then on.
Period 2025-01-01 … 2026-06-30: 2025 is judged on 2025-12-31, 2026 on 2026-06-30.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from analytics.indicators import compute, people
from tests.analytics.ind_figures import by_key, by_label, machinery_and_chemicals_district
from tests.analytics.ind_fixtures import credit, employ, enterprise, person, q, status
from training.models import CreditLedger

CODE = "annual_retraining_rate"
D = dt.date
ANNUAL = CreditLedger.Purpose.ANNUAL
FROM, TO = D(2025, 1, 1), D(2026, 6, 30)


@pytest.fixture
def w(db: None) -> SimpleNamespace:
    district, s1, A, B = machinery_and_chemicals_district()
    H = enterprise(s1, "庚转型")
    status(H, D(2026, 6, 1), industry="hazardous_chemicals", above_scale=True, jurisdiction=s1)
    p = SimpleNamespace()
    p.b_ok = person(B, "张达标", D(2024, 3, 1))
    credit(p.b_ok, B, D(2025, 5, 1), 20, ANNUAL)
    credit(p.b_ok, B, D(2026, 3, 1), 20, ANNUAL)
    p.b_short = person(B, "李不足", D(2024, 1, 1))
    credit(p.b_short, B, D(2025, 5, 1), 12, ANNUAL)
    credit(p.b_short, B, D(2025, 6, 1), 30)  # onboarding hours never count
    p.b_new = person(B, "王新人", D(2025, 1, 1))  # not employed before 2025-01-01
    credit(p.b_new, B, D(2025, 12, 31), 20, ANNUAL)  # a 2025 entry does not count for 2026
    p.b_left = employ(person(B, "赵离职"), B, D(2023, 1, 1), D(2025, 11, 30)).person
    p.b_left26 = employ(person(B, "钱明年走"), B, D(2023, 1, 1), D(2026, 8, 1)).person
    credit(p.b_left26, B, D(2025, 12, 31), 20, ANNUAL, hour=23, minute=30)  # late evening, still 2025
    p.a_principal = person(A, "孙厂长", D(2020, 1, 1), post="principal")
    credit(p.a_principal, A, D(2025, 9, 1), 12, ANNUAL)
    credit(p.a_principal, A, D(2026, 2, 1), 11, ANNUAL)
    p.a_employee = person(A, "周员工", D(2020, 1, 1))
    p.h = person(H, "吴转型", D(2020, 1, 1))
    credit(p.h, H, D(2026, 4, 1), 10, ANNUAL)
    p.transfer = person(A, "郑调动")
    employ(p.transfer, A, D(2020, 1, 1), D(2026, 2, 28))
    employ(p.transfer, B, D(2026, 3, 1))
    return SimpleNamespace(district=district, s1=s1, A=A, B=B, H=H, p=p)


def district_by(w: SimpleNamespace, by: str) -> Any:
    """The query over the whole period in the district, grouped by ``by``."""
    return q(CODE, FROM, TO, jurisdiction=w.district, group_by=by)


def figures(query) -> tuple[int, int]:
    r = compute(query)
    return r.total.numerator, r.total.denominator


def test_two_years_add_up(w):
    # 2025: b_ok, b_short ✗, b_left26, a_principal, a_employee, h (machinery then), transfer (at A).
    # 2026: b_ok, b_short ✗, b_new ✗, b_left26 ✗, a_principal ✗ (11 of 12), a_employee, h ✗ (now high risk).
    assert figures(q(CODE, FROM, TO, jurisdiction=w.district)) == (8, 14)


def test_group_by_year(w):
    assert by_key(district_by(w, "year")) == {"2025": (6, 7), "2026": (2, 7)}


def test_group_by_industry_uses_the_status_of_each_year(w):
    assert by_key(district_by(w, "industry")) == {"hazardous_chemicals": (3, 8), "machinery": (5, 6)}


def test_group_by_enterprise_and_jurisdiction(w):
    assert by_label(district_by(w, "enterprise")) == {"甲机械": (4, 5), "乙化工": (3, 7), "庚转型": (1, 2)}
    # B sits on the district itself; A and H on street 1.
    assert by_key(district_by(w, "jurisdiction")) == {"330101001": (5, 7), "330101": (3, 7)}


def test_month_is_not_a_grouping_of_a_yearly_indicator(w):
    from analytics.errors import InvalidQuery
    from analytics.queries import query_build

    with pytest.raises(InvalidQuery) as e:
        query_build(user=None, code=CODE, params={"from": "2026-01-01", "to": "2026-06-30", "group_by": "month"})
    assert e.value.field == "group_by"


def test_one_year(w):
    assert figures(q(CODE, D(2026, 1, 1), TO, jurisdiction=w.district)) == (2, 7)
    assert figures(q(CODE, D(2025, 7, 1), D(2025, 12, 31), enterprise=w.B)) == (2, 3)


def test_people_reasons_name_the_year(w):
    with translation.override("en"):
        lines = people(q(CODE, FROM, TO, jurisdiction=w.district), status="missing")
    got = sorted((x.name, x.reason) for x in lines)
    assert got == [
        ("吴转型", "2026: annual hours short by 10"),
        ("孙厂长", "2026: annual hours short by 1"),
        ("李不足", "2025: annual hours short by 8"),
        ("李不足", "2026: annual hours short by 20"),
        ("王新人", "2026: annual hours short by 20"),
        ("钱明年走", "2026: annual hours short by 20"),
    ]
    with translation.override("zh-hans"):
        one_year = people(q(CODE, D(2026, 1, 1), TO, enterprise=w.A), status="missing")
    assert [(x.name, x.reason) for x in one_year] == [("孙厂长", "年度再培训学时不足，差 1 学时")]
    counted = {x.name for x in people(q(CODE, D(2026, 1, 1), TO, jurisdiction=w.district), status="counted")}
    assert counted == {"张达标", "周员工"}


def test_to_in_the_future_judges_the_year_on_today(w):
    query = q(CODE, D(2026, 1, 1), D(2026, 12, 31), enterprise=w.B, today=D(2026, 2, 15))
    # On 2026-02-15 nobody at B has their 2026 hours yet (张达标's came on 03-01).
    # Employed at B since before 2026 and still there: b_ok, b_short, b_new, b_left26.
    assert figures(query) == (0, 4)
    later = q(CODE, D(2026, 1, 1), D(2026, 12, 31), enterprise=w.B, today=D(2026, 3, 2))
    assert figures(later) == (1, 4)


def test_a_period_that_has_not_begun_has_no_rate(w):
    result = compute(q(CODE, D(2027, 1, 1), D(2027, 3, 31), today=D(2026, 12, 31), group_by="year"))
    assert (result.total.numerator, result.total.denominator, result.total.rate) == (0, 0, None)
    assert result.rows == []
