"""Enterprise status history and employments: the writes every door goes through."""

from __future__ import annotations

import datetime as dt

import pytest

from organizations.errors import HistoryRewrite
from organizations.models import BEGINNING, Employment, EnterpriseStatus, Industry, Person
from organizations.services import (
    employment_end,
    employment_hire_date_set,
    employment_start,
    enterprise_create,
    enterprise_status_record,
    person_create,
)
from tests import factories
from tests.conftest import ensure_industries

pytestmark = pytest.mark.django_db

Post = Person.Post
TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def place():
    ensure_industries()
    district = factories.make_jurisdiction("990101", "东区")
    street = factories.make_jurisdiction("990101001", "东区第一街道", parent=district)
    return district, street


def _enterprise(place, name="甲化工厂"):
    district, _street = place
    return enterprise_create(
        name=name,
        credit_code=factories.credit_code("990101"),
        industry=Industry.objects.get(code="hazardous_chemicals"),
        above_scale=True,
        jurisdiction=district,
    )


def _history(enterprise):
    return [
        (s.valid_from, s.industry.code, s.above_scale, s.jurisdiction.code)
        for s in EnterpriseStatus.objects.filter(enterprise=enterprise).order_by("valid_from")
    ]


def test_a_new_enterprise_holds_its_first_status_since_the_beginning(place):
    enterprise = _enterprise(place)
    assert _history(enterprise) == [(BEGINNING, "hazardous_chemicals", True, "990101")]


def test_a_change_is_a_new_row_and_the_current_columns_follow(place):
    enterprise = _enterprise(place)
    _district, street = place
    machinery = Industry.objects.get(code="machinery")
    status = enterprise_status_record(
        enterprise=enterprise,
        valid_from=dt.date(2026, 3, 1),
        industry=machinery,
        above_scale=False,
        jurisdiction=street,
        source="test",
        today=TODAY,
    )
    assert status is not None
    assert _history(enterprise) == [
        (BEGINNING, "hazardous_chemicals", True, "990101"),
        (dt.date(2026, 3, 1), "machinery", False, "990101001"),
    ]
    enterprise.refresh_from_db()
    assert (enterprise.industry.code, enterprise.above_scale, enterprise.jurisdiction.code) == (
        "machinery",
        False,
        "990101001",
    )


def test_recording_the_same_status_again_changes_nothing(place):
    enterprise = _enterprise(place)
    district, _street = place
    chemicals = Industry.objects.get(code="hazardous_chemicals")
    for day in (None, dt.date(2025, 1, 1), TODAY):
        assert (
            enterprise_status_record(
                enterprise=enterprise,
                valid_from=day,
                industry=chemicals,
                above_scale=True,
                jurisdiction=district,
                today=TODAY,
            )
            is None
        )
    assert len(_history(enterprise)) == 1


def test_a_status_before_the_latest_one_is_refused_naming_its_day(place):
    enterprise = _enterprise(place)
    district, _street = place
    machinery = Industry.objects.get(code="machinery")
    enterprise_status_record(
        enterprise=enterprise,
        valid_from=dt.date(2026, 3, 1),
        industry=machinery,
        above_scale=True,
        jurisdiction=district,
        today=TODAY,
    )
    with pytest.raises(HistoryRewrite) as refused:
        enterprise_status_record(
            enterprise=enterprise,
            valid_from=dt.date(2026, 2, 1),
            industry=machinery,
            above_scale=False,
            jurisdiction=district,
            today=TODAY,
        )
    assert "2026-03-01" in refused.value.message
    assert refused.value.details["date"] == "2026-03-01"
    # The same day with other values, in the past: refused too.
    with pytest.raises(HistoryRewrite):
        enterprise_status_record(
            enterprise=enterprise,
            valid_from=dt.date(2026, 3, 1),
            industry=machinery,
            above_scale=False,
            jurisdiction=district,
            today=TODAY,
        )
    assert len(_history(enterprise)) == 2


def test_the_same_day_today_is_a_correction(place):
    enterprise = _enterprise(place)
    district, _street = place
    machinery = Industry.objects.get(code="machinery")
    enterprise_status_record(
        enterprise=enterprise, valid_from=None, industry=machinery, above_scale=True, jurisdiction=district, today=TODAY
    )
    enterprise_status_record(
        enterprise=enterprise,
        valid_from=None,
        industry=machinery,
        above_scale=False,
        jurisdiction=district,
        today=TODAY,
    )
    assert _history(enterprise)[-1] == (TODAY, "machinery", False, "990101")
    assert len(_history(enterprise)) == 2
    enterprise.refresh_from_db()
    assert enterprise.above_scale is False


def test_a_future_status_waits_for_its_day(place):
    enterprise = _enterprise(place)
    district, _street = place
    machinery = Industry.objects.get(code="machinery")
    enterprise_status_record(
        enterprise=enterprise,
        valid_from=dt.date(2026, 9, 1),
        industry=machinery,
        above_scale=True,
        jurisdiction=district,
        today=TODAY,
    )
    enterprise.refresh_from_db()
    assert enterprise.industry.code == "hazardous_chemicals"


def _person(enterprise, hire=dt.date(2025, 1, 10), post=Post.EMPLOYEE, leave=None):
    person, _password = person_create(
        enterprise=enterprise,
        name="张三",
        id_number=factories.id_number("990101"),
        hire_date=hire,
        post=post,
        leave_date=leave,
    )
    return person


def _employments(person):
    return [
        (e.enterprise.name, e.post, e.start_date, e.end_date)
        for e in Employment.objects.filter(person=person).order_by("start_date", "pk")
    ]


def test_person_create_records_the_first_employment(place):
    enterprise = _enterprise(place)
    person = _person(enterprise, leave=dt.date(2025, 12, 31))
    assert _employments(person) == [("甲化工厂", Post.EMPLOYEE, dt.date(2025, 1, 10), dt.date(2025, 12, 31))]


def test_a_transfer_ends_the_old_employment_the_day_before(place):
    first = _enterprise(place)
    second = _enterprise(place, "乙机械厂")
    person = _person(first)
    employment_start(person=person, enterprise=second, post=Post.SAFETY_MANAGER, start_date=dt.date(2026, 2, 1))
    assert _employments(person) == [
        ("甲化工厂", Post.EMPLOYEE, dt.date(2025, 1, 10), dt.date(2026, 1, 31)),
        ("乙机械厂", Post.SAFETY_MANAGER, dt.date(2026, 2, 1), None),
    ]
    person.refresh_from_db()
    assert (person.enterprise, person.post, person.hire_date, person.leave_date) == (
        second,
        Post.SAFETY_MANAGER,
        dt.date(2026, 2, 1),
        None,
    )
    # The same transfer again (a re-imported file) changes nothing.
    employment_start(person=person, enterprise=second, post=Post.SAFETY_MANAGER, start_date=dt.date(2026, 2, 1))
    assert len(_employments(person)) == 2


def test_an_employment_that_already_ended_keeps_its_end(place):
    first = _enterprise(place)
    second = _enterprise(place, "乙机械厂")
    person = _person(first, leave=dt.date(2025, 6, 30))
    employment_start(person=person, enterprise=second, post=Post.EMPLOYEE, start_date=dt.date(2026, 2, 1))
    assert _employments(person)[0][3] == dt.date(2025, 6, 30)


def test_a_start_before_the_current_employment_is_refused(place):
    first = _enterprise(place)
    second = _enterprise(place, "乙机械厂")
    person = _person(first)
    with pytest.raises(HistoryRewrite) as refused:
        employment_start(person=person, enterprise=second, post=Post.EMPLOYEE, start_date=dt.date(2024, 1, 1))
    assert "2025-01-10" in refused.value.message
    assert len(_employments(person)) == 1


def test_a_change_of_post_keeps_the_hire_date(place):
    enterprise = _enterprise(place)
    person = _person(enterprise)
    employment_start(person=person, enterprise=enterprise, post=Post.PRINCIPAL, start_date=dt.date(2026, 3, 1))
    person.refresh_from_db()
    assert (person.post, person.hire_date) == (Post.PRINCIPAL, dt.date(2025, 1, 10))
    assert _employments(person) == [
        ("甲化工厂", Post.EMPLOYEE, dt.date(2025, 1, 10), dt.date(2026, 2, 28)),
        ("甲化工厂", Post.PRINCIPAL, dt.date(2026, 3, 1), None),
    ]


def test_leaving_sets_the_end_and_the_leave_date(place):
    enterprise = _enterprise(place)
    person = _person(enterprise)
    employment_end(person=person, end_date=dt.date(2026, 4, 30))
    employment_end(person=person, end_date=dt.date(2026, 4, 30))
    person.refresh_from_db()
    assert person.leave_date == dt.date(2026, 4, 30)
    assert _employments(person) == [("甲化工厂", Post.EMPLOYEE, dt.date(2025, 1, 10), dt.date(2026, 4, 30))]
    with pytest.raises(HistoryRewrite):
        employment_end(person=person, end_date=dt.date(2024, 12, 31))
    employment_end(person=person, end_date=None)
    person.refresh_from_db()
    assert person.leave_date is None


def test_correcting_the_hire_date_moves_the_first_employment_of_the_run(place):
    enterprise = _enterprise(place)
    person = _person(enterprise)
    employment_start(person=person, enterprise=enterprise, post=Post.PRINCIPAL, start_date=dt.date(2026, 3, 1))
    person.refresh_from_db()
    employment_hire_date_set(person=person, hire_date=dt.date(2024, 11, 1))
    person.refresh_from_db()
    assert person.hire_date == dt.date(2024, 11, 1)
    assert _employments(person)[0][2] == dt.date(2024, 11, 1)
    with pytest.raises(HistoryRewrite):
        employment_hire_date_set(person=person, hire_date=dt.date(2026, 3, 5))
