"""principal_certified_rate and special_operator_certified_rate on hand-built certificates.

as_of is 2026-06-30 (the period 2026-01-01 … 2026-06-30).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone, translation

from analytics.indicators import compute, people
from exams.models import CertificateType
from tests.analytics.ind_figures import by_key, by_label, machinery_and_chemicals_district
from tests.analytics.ind_fixtures import certificate, employ, person, q

D = dt.date
FROM, TO = D(2026, 1, 1), D(2026, 6, 30)
PR, SM, SO = "principal", "safety_manager", "special_operator"
T = CertificateType


@pytest.fixture
def w(db: None) -> SimpleNamespace:
    district, s1, A, B = machinery_and_chemicals_district()
    since = D(2020, 1, 1)
    certificate(person(A, "张有效", since, post=PR), T.PRINCIPAL, D(2024, 1, 1), D(2027, 1, 1))
    certificate(person(A, "李将到期", since, post=PR), T.PRINCIPAL, D(2023, 8, 15), D(2026, 8, 15))
    certificate(person(A, "王已过期", since, post=PR), T.PRINCIPAL, D(2023, 6, 29), D(2026, 6, 29))
    certificate(person(A, "赵当日", since, post=PR), T.PRINCIPAL, D(2023, 6, 30), D(2026, 6, 30))
    certificate(person(A, "钱错证", since, post=SM), T.PRINCIPAL, D(2024, 1, 1), D(2027, 1, 1))
    revoked = certificate(person(A, "孙已撤", since, post=SM), T.SAFETY_MANAGER, D(2024, 1, 1), D(2027, 1, 1))
    revoked.status, revoked.revoked_at = "revoked", timezone.make_aware(dt.datetime(2026, 6, 1, 0, 30))
    revoked.save()  # 00:30 on 06-01 here is still 05-31 in UTC: the reason says 06-01
    certificate(
        person(B, "周后撤", since, post=SM), T.SAFETY_MANAGER, D(2024, 1, 1), D(2028, 1, 1), revoked=D(2026, 7, 15)
    )
    certificate(person(B, "吴导入", since, post=SM), T.SAFETY_MANAGER, D(2025, 1, 1), D(2028, 1, 1), imported=True)
    certificate(person(B, "郑未发", since, post=PR), T.PRINCIPAL, D(2026, 7, 1), D(2029, 7, 1))
    left = person(A, "冯已离")
    employ(left, A, since, D(2026, 6, 29), post=PR)
    certificate(left, T.PRINCIPAL, D(2024, 1, 1), D(2027, 1, 1))
    last_day = person(A, "陈末日")
    employ(last_day, A, since, D(2026, 6, 30), post=PR)
    certificate(last_day, T.PRINCIPAL, D(2024, 1, 1), D(2027, 1, 1))
    person(A, "褚新任", D(2026, 7, 1), post=PR)  # starts after as_of
    person(A, "卫员工", since)  # not a principal
    certificate(person(B, "蒋特种", since, post=SO), T.SPECIAL_OPERATOR, D(2025, 1, 1), D(2031, 1, 1), imported=True)
    person(B, "沈无证", since, post=SO)
    certificate(person(A, "韩别证", since, post=SO), T.NEW_EMPLOYEE, D(2025, 1, 1), D(2031, 1, 1))
    return SimpleNamespace(district=district, s1=s1, A=A, B=B)


def test_principal_rate(w):
    result = compute(q("principal_certified_rate", FROM, TO, jurisdiction=w.district))
    # In: 张有效 ✓, 李将到期 ✓, 王已过期 ✗, 赵当日 ✓, 钱错证 ✗, 孙已撤 ✗, 周后撤 ✓, 吴导入 ✓, 郑未发 ✗, 陈末日 ✓.
    assert (result.total.numerator, result.total.denominator) == (6, 10)
    # Valid until 2026-08-15 and 2026-06-30: within 90 days of as_of.
    assert result.extra == {"expiring": 2, "expiring_days": 90}
    shorter = compute(q("principal_certified_rate", FROM, TO, jurisdiction=w.district, params={"expiring_days": 30}))
    assert shorter.extra["expiring"] == 1


def test_principal_reasons(w):
    with translation.override("en"):
        lines = people(q("principal_certified_rate", FROM, TO, jurisdiction=w.district), status="missing")
    assert sorted((x.name, x.reason) for x in lines) == [
        ("孙已撤", "certificate revoked on 2026-06-01"),
        ("王已过期", "certificate expired on 2026-06-29"),
        ("郑未发", "no certificate"),
        ("钱错证", "no certificate"),
    ]


def test_principal_groups(w):
    def grouped_by(by: str) -> Any:
        return q("principal_certified_rate", FROM, TO, jurisdiction=w.district, group_by=by)

    assert by_label(grouped_by("enterprise")) == {"甲机械": (4, 7), "乙化工": (2, 3)}
    assert by_key(grouped_by("industry")) == {"machinery": (4, 7), "hazardous_chemicals": (2, 3)}
    assert by_key(grouped_by("jurisdiction")) == {"330101001": (4, 7), "330101": (2, 3)}


def test_by_month_is_the_trend_at_each_months_end(w):
    result = compute(q("principal_certified_rate", FROM, TO, jurisdiction=w.district, group_by="month"))
    # Until May: 王已过期 valid, 孙已撤 not yet revoked, 冯已离 still employed (9 of 11);
    # on 06-30: 6 of 10, the total.
    assert {r.key: (r.numerator, r.denominator) for r in result.rows} == {
        **{f"2026-{m:02d}": (9, 11) for m in range(1, 6)},
        "2026-06": (6, 10),
    }
    assert (result.total.numerator, result.total.denominator) == (6, 10)
    quarters = compute(q("principal_certified_rate", FROM, TO, jurisdiction=w.district, group_by="quarter")).rows
    assert [(r.key, r.numerator, r.denominator) for r in quarters] == [("2026-Q1", 9, 11), ("2026-Q2", 6, 10)]


def test_the_trend_stops_at_today(w):
    query = q(
        "principal_certified_rate",
        D(2026, 5, 1),
        D(2026, 12, 31),
        jurisdiction=w.district,
        group_by="month",
        today=D(2026, 6, 15),
    )
    result = compute(query)
    # On 06-15 孙已撤 is revoked, 王已过期 still valid.
    assert [(r.key, r.numerator, r.denominator) for r in result.rows] == [("2026-05", 9, 11), ("2026-06", 8, 11)]
    assert (result.total.numerator, result.total.denominator) == (8, 11)


def test_an_earlier_as_of_sees_the_revoked_certificate_valid(w):
    result = compute(q("principal_certified_rate", FROM, D(2026, 5, 31), enterprise=w.A))
    # On 2026-05-31: 孙已撤 still valid, 王已过期 too, 冯已离 still employed.
    assert (result.total.numerator, result.total.denominator) == (7, 8)


def test_special_operators(w):
    result = compute(q("special_operator_certified_rate", FROM, TO, jurisdiction=w.district))
    assert (result.total.numerator, result.total.denominator) == (1, 3)
    with translation.override("en"):
        assert sorted(x.name for x in people(result.query, status="missing")) == ["沈无证", "韩别证"]


def test_no_principals_no_rate(w):
    result = compute(q("special_operator_certified_rate", FROM, TO, jurisdiction=w.s1, group_by="industry"))
    # 韩别证 is on street 1 (at A); the special operators of B are on the district.
    assert (result.total.numerator, result.total.denominator) == (0, 1)
    empty = compute(q("special_operator_certified_rate", D(2019, 1, 1), D(2019, 12, 31), jurisdiction=w.s1))
    assert (empty.total.denominator, empty.total.rate) == (0, None)
