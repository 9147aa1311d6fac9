"""new_employee_training_rate on a hand-built district whose answers are worked out here.

Period 2026-01-01 … 2026-03-31 (as_of 2026-03-31 unless a test says otherwise).
Key, above-scale enterprises: A (machinery, street 1), B (hazardous chemicals,
high risk, street 2), E (machinery, above scale only from 2026-02-01, street 1),
F (construction until 2026-02-01, then hospitality: not key; on the district
itself), G (machinery, moved from street 1 to street 2 on 2026-02-01).
C is hospitality (never key). An employee needs 24 学时 (72 at B).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from analytics.indicators import compute, people
from exams.models import CertificateType
from tests import factories
from tests.analytics.ind_figures import by_key, machinery_and_chemicals
from tests.analytics.ind_fixtures import (
    Post,
    at,
    attempt,
    certificate,
    credit,
    east_district,
    employ,
    enterprise,
    person,
    q,
    session,
    status,
)
from training.models import CreditLedger, RequirementProfile

CODE = "new_employee_training_rate"
D = dt.date
JAN1, MAR31 = D(2026, 1, 1), D(2026, 3, 31)
ANNUAL = CreditLedger.Purpose.ANNUAL


@pytest.fixture
def w(db: None) -> SimpleNamespace:
    district, (s1, s2) = east_district(2)
    other = factories.make_jurisdiction("330102", "西城区")
    A, B = machinery_and_chemicals(s1, s2)
    C = enterprise(s1, "丙饭店", industry="hospitality")
    E = enterprise(s1, "戊机械", above_scale=False)
    status(E, D(2026, 2, 1), industry="machinery", above_scale=True, jurisdiction=s1)
    F = enterprise(district, "己建筑", industry="construction")
    status(F, D(2026, 2, 1), industry="hospitality", above_scale=True, jurisdiction=district)
    G = enterprise(s1, "庚机械")
    status(G, D(2026, 2, 1), industry="machinery", above_scale=True, jurisdiction=s2)
    west = enterprise(other, "辛机械")
    onboarding_exam = session(D(2026, 3, 25), onboarding=True, title="岗前考核")
    other_exam = session(D(2026, 1, 12), title="普通考试")
    p = SimpleNamespace()

    # A: complete — 24 h five days before the start (inside 30 days) and a passed onboarding exam.
    p.full = person(A, "张完整", D(2026, 1, 10))
    credit(p.full, A, D(2026, 1, 5), 24)
    attempt(onboarding_exam, p.full, score=90, day=D(2026, 1, 12))
    # A: hired on the period's first and last days, untrained.
    p.first_day = person(A, "李首日", JAN1)
    p.last_day = person(A, "王末日", MAR31)
    # Outside the period: the day before it starts and the day after it ends.
    p.before = person(A, "赵前日", D(2025, 12, 31))
    p.after = person(A, "钱次日", D(2026, 4, 1))
    # A: 24 h taken 45 days before the start (outside 30 days), exam passed after the start.
    p.early = person(A, "孙提前", D(2026, 2, 15))
    credit(p.early, A, D(2026, 1, 1), 24)
    attempt(onboarding_exam, p.early, score=80, day=D(2026, 2, 16))
    # A: left on 2026-02-10 with 10 h; 14 more credited after leaving do not count.
    p.left = employ(person(A, "周离职"), A, D(2026, 1, 20), D(2026, 2, 10)).person
    credit(p.left, A, D(2026, 2, 1), 10, assessment_passed=True)
    credit(p.left, A, D(2026, 2, 20), 14)
    # Transfer: C (not key) until 2026-01-31, A from 2026-02-01. Onboarding hours
    # at C and annual hours at A do not count for A; the exam passed counts.
    p.transfer = person(C, "吴调动")
    employ(p.transfer, C, D(2025, 6, 1), D(2026, 1, 31))
    employ(p.transfer, A, D(2026, 2, 1))
    credit(p.transfer, C, D(2026, 1, 20), 24)
    credit(p.transfer, A, D(2026, 2, 3), 24, ANNUAL)
    attempt(onboarding_exam, p.transfer, score=75, day=D(2026, 2, 5))
    # A: failed first, passed the retake.
    p.retake = person(A, "郑补考", D(2026, 3, 10))
    credit(p.retake, A, D(2026, 3, 11), 24)
    attempt(onboarding_exam, p.retake, score=40, day=D(2026, 3, 12))
    attempt(onboarding_exam, p.retake, score=70, seq=2, day=D(2026, 3, 13))
    # A: hours complete, the exam failed and the classroom assessment too; a
    # passed exam that is not an onboarding session does not count.
    p.failed = person(A, "冯未过", D(2026, 3, 12))
    credit(p.failed, A, D(2026, 3, 12), 24, assessment_passed=False)
    attempt(onboarding_exam, p.failed, score=30, day=D(2026, 3, 14))
    attempt(other_exam, p.failed, score=99, day=D(2026, 1, 12))
    # A: hours complete, new-employee certificate revoked on 2026-03-20 (before as_of).
    p.revoked = person(A, "陈撤销", D(2026, 3, 15))
    credit(p.revoked, A, D(2026, 3, 15), 24)
    certificate(p.revoked, CertificateType.NEW_EMPLOYEE, D(2026, 3, 16), D(2029, 3, 15), revoked=D(2026, 3, 20))
    # A: hours complete, certificate revoked only on 2026-05-01 (after as_of): valid on as_of.
    p.revoked_late = person(A, "褚后撤", D(2026, 3, 16))
    credit(p.revoked_late, A, D(2026, 3, 16), 24)
    certificate(p.revoked_late, CertificateType.NEW_EMPLOYEE, D(2026, 3, 17), D(2029, 3, 16), revoked=D(2026, 5, 1))
    # A: exam passed, the hours only on 2026-04-05 (after as_of 2026-03-31).
    p.late = person(A, "卫迟到", D(2026, 3, 5))
    credit(p.late, A, D(2026, 4, 5), 24)
    attempt(onboarding_exam, p.late, score=88, day=D(2026, 3, 6))
    # B (high risk, 72 h): 24 h and a valid imported certificate — hours short by 48.
    p.high = person(B, "蒋高危", D(2026, 3, 1))
    credit(p.high, B, D(2026, 3, 2), 24)
    certificate(p.high, CertificateType.NEW_EMPLOYEE, D(2026, 3, 3), D(2029, 3, 2), imported=True)
    # B: 72 h of imported classroom training with a passed assessment, before the start.
    p.imported = person(B, "沈导入", D(2026, 1, 15))
    credit(p.imported, B, D(2026, 1, 10), 72, assessment_passed=True)
    # E: below scale on 2026-01-20 (not counted at all), above scale on 2026-02-10.
    p.e_small = person(E, "韩小企", D(2026, 1, 20))
    p.e_big = person(E, "杨规上", D(2026, 2, 10))
    # F: construction (key) on 2026-01-10; hospitality (not key) on 2026-03-01.
    p.f_key = person(F, "朱建筑", D(2026, 1, 10))
    p.f_not_key = person(F, "秦餐饮", D(2026, 3, 1))
    # G: street 1 on 2026-01-15, street 2 on 2026-03-01 (complete: 24 h and the classroom assessment).
    p.g_s1 = person(G, "尤一街", D(2026, 1, 15))
    p.g_s2 = person(G, "许二街", D(2026, 3, 1))
    credit(p.g_s2, G, D(2026, 3, 1), 24, assessment_passed=True)
    # C (hospitality): never in the denominator.
    p.c = person(C, "何饭店", D(2026, 2, 1))
    # Another district.
    p.west = person(west, "吕西城", D(2026, 2, 1))
    return SimpleNamespace(district=district, s1=s1, s2=s2, other=other, A=A, B=B, C=C, E=E, F=F, G=G, p=p)


def district_by(w: SimpleNamespace, by: str) -> Any:
    """The query over the whole period in the district, grouped by ``by``."""
    return q(CODE, JAN1, MAR31, jurisdiction=w.district, group_by=by)


def counted_names(query) -> set[str]:
    return {line.name for line in people(query, status="counted")}


def missing_names(query) -> set[str]:
    return {line.name for line in people(query, status="missing")}


def test_total_over_the_district(w):
    result = compute(q(CODE, JAN1, MAR31, jurisdiction=w.district))
    # A: 11 hires (full, first_day, last_day, early, left, transfer, retake, failed,
    # revoked, revoked_late, late), counted full, retake, revoked_late. B: high,
    # imported (counted). E: e_big. F: f_key. G: g_s1, g_s2 (counted).
    assert (result.total.numerator, result.total.denominator) == (5, 17)
    assert result.total.rate == pytest.approx(5 / 17)
    assert counted_names(result.query) == {"张完整", "郑补考", "褚后撤", "沈导入", "许二街"}


def test_the_whole_platform_adds_the_other_district(w):
    result = compute(q(CODE, JAN1, MAR31))
    assert (result.total.numerator, result.total.denominator) == (5, 18)


def test_people_lists_and_reasons(w):
    query = q(CODE, JAN1, MAR31, jurisdiction=w.district)
    with translation.override("en"):
        lines = {line.name: line for line in people(query)}
    assert len(lines) == 17
    assert lines["张完整"].status == "counted"
    assert lines["张完整"].reason == ""
    assert lines["张完整"].credit_code == w.A.credit_code
    assert lines["李首日"].reason == "hours short by 24; onboarding assessment not passed"
    assert lines["孙提前"].reason == "hours short by 24"
    assert lines["周离职"].reason == "left on 2026-02-10 without completing; hours short by 14"
    assert lines["吴调动"].reason == "hours short by 24"
    assert lines["吴调动"].enterprise_name == "甲机械"
    assert lines["冯未过"].reason == "onboarding assessment not passed"
    assert lines["陈撤销"].reason == "onboarding assessment not passed"
    assert lines["卫迟到"].reason == "hours short by 24"
    assert lines["蒋高危"].reason == "hours short by 48"
    assert lines["杨规上"].status == "missing"
    assert {n for n, line in lines.items() if line.status == "missing"} == missing_names(query)
    assert not {"赵前日", "钱次日", "韩小企", "秦餐饮", "何饭店", "吕西城"} & set(lines)


def test_reasons_in_chinese(w):
    query = q(CODE, JAN1, MAR31, enterprise=w.A)
    with translation.override("zh-hans"):
        lines = {line.name: line for line in people(query, status="missing")}
    assert lines["周离职"].reason == "于 2026-02-10 离职时未完成；学时不足，差 14 学时"
    assert lines["冯未过"].reason == "岗前考核未通过"


def test_hours_short_shows_a_fraction_rounded_up(w):
    p = person(w.A, "范零头", D(2026, 2, 2))
    credit(p, w.A, D(2026, 2, 2), 23.95)
    attempt(session(D(2026, 2, 3), onboarding=True), p, score=100)
    with translation.override("en"):
        (line,) = [x for x in people(q(CODE, JAN1, MAR31, enterprise=w.A), status="missing") if x.name == "范零头"]
    assert line.reason == "hours short by 0.1"


def test_group_by_enterprise(w):
    rows = compute(district_by(w, "enterprise")).rows
    got = {r.key: (r.label, r.numerator, r.denominator) for r in rows}
    assert got == {
        w.A.credit_code: ("甲机械", 3, 11),
        w.B.credit_code: ("乙化工", 1, 2),
        w.E.credit_code: ("戊机械", 0, 1),
        w.F.credit_code: ("己建筑", 0, 1),
        w.G.credit_code: ("庚机械", 1, 2),
    }


def test_group_by_jurisdiction_follows_the_status_on_the_start_date(w):
    rows = compute(district_by(w, "jurisdiction")).rows
    got = {r.key: (r.numerator, r.denominator) for r in rows}
    # Street 1: A (3/11), E (0/1), G's January hire (0/1). Street 2: B (1/2) and
    # G's March hire (1/1). F sits on the district itself.
    assert got == {"330101001": (3, 13), "330101002": (2, 3), "330101": (0, 1)}
    assert sum(r.denominator for r in rows) == 17


def test_group_by_jurisdiction_lists_every_child_even_empty(w):
    factories.make_jurisdiction("330101003", "第三街道", parent=w.district)
    rows = compute(district_by(w, "jurisdiction")).rows
    third = next(r for r in rows if r.key == "330101003")
    assert (third.numerator, third.denominator, third.rate, third.label) == (0, 0, None, "第三街道")


def test_group_by_jurisdiction_at_the_top_lists_the_districts(w):
    assert by_key(q(CODE, JAN1, MAR31, group_by="jurisdiction")) == {"330101": (5, 17), "330102": (0, 1)}


def test_group_by_industry(w):
    assert by_key(district_by(w, "industry")) == {
        "machinery": (4, 14),
        "hazardous_chemicals": (1, 2),
        "construction": (0, 1),
    }


def test_group_by_month_quarter_year(w):
    def grouped(by: str) -> dict[str, tuple[int, int]]:
        return by_key(district_by(w, by))

    # January: first_day, full, f_key, imported, g_s1, left. February: transfer,
    # e_big, early. March: the other eight.
    assert grouped("month") == {"2026-01": (2, 6), "2026-02": (0, 3), "2026-03": (3, 8)}
    assert grouped("quarter") == {"2026-Q1": (5, 17)}
    assert grouped("year") == {"2026": (5, 17)}


def test_pretraining_days_parameter(w):
    query = q(CODE, JAN1, MAR31, jurisdiction=w.district, params={"pretraining_days": 60})
    # 孙提前's hours, 45 days before the start, now count; 吴调动's stay at C.
    assert counted_names(query) == {"张完整", "郑补考", "褚后撤", "沈导入", "许二街", "孙提前"}
    none = q(CODE, JAN1, MAR31, jurisdiction=w.district, params={"pretraining_days": 0})
    # Training before the start no longer counts: 张完整 (5 days before) and 沈导入 (5 days before).
    assert counted_names(none) == {"郑补考", "褚后撤", "许二街"}


def test_to_in_the_future_counts_up_to_today(w):
    query = q(CODE, D(2026, 3, 5), D(2026, 12, 31), enterprise=w.A, today=D(2026, 4, 10))
    assert query.as_of == D(2026, 4, 10)
    result = compute(query)
    # late (hours on 04-05 ≤ as_of), retake, failed, revoked, revoked_late, last_day, after (04-01).
    assert (result.total.numerator, result.total.denominator) == (3, 7)
    assert counted_names(query) == {"卫迟到", "郑补考", "褚后撤"}
    earlier = q(CODE, D(2026, 3, 5), D(2026, 12, 31), enterprise=w.A, today=D(2026, 4, 4))
    assert "卫迟到" in missing_names(earlier)


def test_revocation_after_as_of_is_seen_once_as_of_passes_it(w):
    query = q(CODE, D(2026, 3, 1), D(2026, 12, 31), enterprise=w.A, today=D(2026, 5, 2))
    assert "褚后撤" in missing_names(query)


def test_enterprise_and_street_scope(w):
    a = compute(q(CODE, JAN1, MAR31, enterprise=w.A))
    assert (a.total.numerator, a.total.denominator) == (3, 11)
    s2 = compute(q(CODE, JAN1, MAR31, jurisdiction=w.s2))
    assert (s2.total.numerator, s2.total.denominator) == (2, 3)


def test_zero_denominator_gives_no_rate(w):
    result = compute(q(CODE, JAN1, MAR31, enterprise=w.C, group_by="month"))
    assert (result.total.numerator, result.total.denominator, result.total.rate) == (0, 0, None)
    assert result.rows == []
    assert people(result.query) == []


def test_profile_minutes_per_hour_changes_the_requirement(w):
    # A 60-minute 学时 for employees outside high-risk industries: 24 h of 45 minutes are 18 such hours.
    RequirementProfile.objects.filter(high_risk=False, post="employee").update(minutes_per_hour=60)
    with translation.override("en"):
        lines = {x.name: x for x in people(q(CODE, JAN1, MAR31, enterprise=w.A))}
    assert lines["张完整"].status == "missing"
    assert lines["张完整"].reason == "hours short by 6"


def test_counted_on_the_last_day_of_the_window(w):
    # Training and assessment on the end date of a finished employment count; the day after does not.
    p = employ(person(w.A, "施当日"), w.A, D(2026, 2, 1), D(2026, 2, 28)).person
    credit(p, w.A, D(2026, 2, 28), 24)
    attempt(session(D(2026, 2, 28), onboarding=True), p, score=60)
    p2 = employ(person(w.A, "张次日"), w.A, D(2026, 2, 1), D(2026, 2, 27)).person
    credit(p2, w.A, D(2026, 2, 28), 24)
    query = q(CODE, JAN1, MAR31, enterprise=w.A)
    assert "施当日" in counted_names(query)
    assert "张次日" in missing_names(query)


def test_local_dates_decide_the_window(w):
    # For a start on 2026-02-09 the window opens on 2026-01-10 (local). 00:30 that
    # day in Shanghai is still 2026-01-09 in UTC: the entry counts all the same.
    p = person(w.A, "孔时区", D(2026, 2, 9))
    start = at(D(2026, 1, 10), 0) + dt.timedelta(minutes=30)
    CreditLedger.objects.create(
        learner=p.user,
        started_at=start,
        ended_at=start + dt.timedelta(hours=18),
        seconds=24 * 45 * 60,
        method=CreditLedger.Method.IMPORT,
        enterprise=w.A,
        purpose=CreditLedger.Purpose.ONBOARDING,
        assessment_passed=True,
    )
    assert start.astimezone(dt.UTC).date() == D(2026, 1, 9)
    assert "孔时区" in counted_names(q(CODE, JAN1, MAR31, enterprise=w.A))
    # One day more before the start (window opens on 2026-01-11): the entry is outside.
    assert "孔时区" in missing_names(q(CODE, JAN1, MAR31, enterprise=w.A, params={"pretraining_days": 29}))


def test_definition_and_names(w):
    from analytics.indicators import indicator_get

    ind = indicator_get(CODE)
    assert "Denominator" in ind.definition_exact()
    assert "pretraining_days" in ind.definition_exact()
    with translation.override("zh-hans"):
        assert "岗前培训" in ind.definition()
    assert ind.target == 1.0
    with translation.override("zh-hans"):
        assert str(ind.name) == "重点行业规模以上企业新增从业人员安全技能培训率"


@pytest.mark.django_db
def test_a_change_of_post_at_the_same_enterprise_is_not_a_new_hire() -> None:
    """The roster records a post change as a new employment from that day: the
    person was hired once (in January), not again in March."""
    district, (street, *_rest) = east_district()
    a = enterprise(street, "甲机械")
    promoted = person(a, "钱升职")
    employ(promoted, a, D(2026, 1, 10), D(2026, 2, 28))
    employ(promoted, a, D(2026, 3, 1), post=Post.SAFETY_MANAGER)
    returned = person(a, "孙回聘")  # left in January, back in March: hired twice
    employ(returned, a, D(2026, 1, 5), D(2026, 1, 20))
    employ(returned, a, D(2026, 3, 10))
    result = compute(q(CODE, JAN1, MAR31, jurisdiction=district))
    assert result.total.denominator == 3
    names = sorted(line.name for line in people(q(CODE, JAN1, MAR31, jurisdiction=district)))
    assert names == ["孙回聘", "孙回聘", "钱升职"]
