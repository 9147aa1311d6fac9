"""Enterprise status history and employments: the writes every door goes through."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from organizations.errors import HistoryRewrite
from organizations.models import BEGINNING, Employment, EnterpriseStatus, Industry, Person
from organizations.roster import import_roster_bytes
from organizations.services import (
    employment_end,
    employment_hire_date_set,
    employment_start,
    enterprise_create,
    enterprise_status_record,
    person_create,
)
from tests import factories
from tests.conftest import Cast, ensure_industries, login_client, make_staff
from tests.organizations.test_roster_import import csv_bytes, new_id, person_row
from tests.organizations.test_roster_views import upload

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


def _record(enterprise, valid_from, industry, jurisdiction, *, above_scale=True, **more):
    """enterprise_status_record as of TODAY."""
    return enterprise_status_record(
        enterprise=enterprise,
        valid_from=valid_from,
        industry=industry,
        above_scale=above_scale,
        jurisdiction=jurisdiction,
        today=TODAY,
        **more,
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
    status = _record(enterprise, dt.date(2026, 3, 1), machinery, street, above_scale=False, source="test")
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
        assert _record(enterprise, day, chemicals, district) is None
    assert len(_history(enterprise)) == 1


def test_a_status_before_the_latest_one_is_refused_naming_its_day(place):
    enterprise = _enterprise(place)
    district, _street = place
    machinery = Industry.objects.get(code="machinery")
    _record(enterprise, dt.date(2026, 3, 1), machinery, district)
    with pytest.raises(HistoryRewrite) as refused:
        _record(enterprise, dt.date(2026, 2, 1), machinery, district, above_scale=False)
    assert "2026-03-01" in refused.value.message
    assert refused.value.details["date"] == "2026-03-01"
    # The same day with other values, in the past: refused too.
    with pytest.raises(HistoryRewrite):
        _record(enterprise, dt.date(2026, 3, 1), machinery, district, above_scale=False)
    assert len(_history(enterprise)) == 2


def test_the_same_day_today_is_a_correction(place):
    enterprise = _enterprise(place)
    district, _street = place
    machinery = Industry.objects.get(code="machinery")
    _record(enterprise, None, machinery, district)
    _record(enterprise, None, machinery, district, above_scale=False)
    assert _history(enterprise)[-1] == (TODAY, "machinery", False, "990101")
    assert len(_history(enterprise)) == 2
    enterprise.refresh_from_db()
    assert enterprise.above_scale is False


def test_a_future_status_waits_for_its_day(place):
    enterprise = _enterprise(place)
    district, _street = place
    machinery = Industry.objects.get(code="machinery")
    _record(enterprise, dt.date(2026, 9, 1), machinery, district)
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


def _current(person):
    """The person's current columns as saved: enterprise, post, hire date and leave date."""
    person.refresh_from_db()
    return (person.enterprise, person.post, person.hire_date, person.leave_date)


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
    assert _current(person) == (second, Post.SAFETY_MANAGER, dt.date(2026, 2, 1), None)
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


# --- the roster keeps the history ----------------------------------------------


def _roster(enterprise, rows, **kwargs):
    return import_roster_bytes(enterprise=enterprise, data=csv_bytes(rows), name="roster.csv", **kwargs)


def test_a_roster_import_records_employments_with_their_source(cast: Cast) -> None:
    enterprise = cast.east.enterprises[0]
    id_number = new_id()
    result = _roster(enterprise, [person_row(name="张三", id_number=id_number, hire=dt.date(2025, 3, 1))])
    assert not result.errors
    person = Person.objects.get(id_number=id_number)
    employment = Employment.objects.get(person=person)
    assert (employment.enterprise, employment.post, employment.start_date, employment.end_date) == (
        enterprise,
        Post.EMPLOYEE,
        dt.date(2025, 3, 1),
        None,
    )
    assert employment.source == "roster.csv row 2"
    # The same file again: unchanged, no second employment.
    again = _roster(enterprise, [person_row(name="张三", id_number=id_number, hire=dt.date(2025, 3, 1))])
    assert again.unchanged == 1
    assert Employment.objects.filter(person=person).count() == 1


def test_a_new_post_on_the_roster_is_a_new_employment_from_today(cast: Cast) -> None:
    enterprise = cast.east.enterprises[0]
    id_number = new_id()
    _roster(enterprise, [person_row(id_number=id_number, hire=dt.date(2025, 3, 1))])
    result = _roster(enterprise, [person_row(id_number=id_number, post="安全管理人员", hire=dt.date(2025, 3, 1))])
    assert result.updated == 1
    today = timezone.localdate()
    person = Person.objects.get(id_number=id_number)
    assert _employments(person) == [
        (enterprise.name, Post.EMPLOYEE, dt.date(2025, 3, 1), today - dt.timedelta(days=1)),
        (enterprise.name, Post.SAFETY_MANAGER, today, None),
    ]
    assert (person.post, person.hire_date) == (Post.SAFETY_MANAGER, dt.date(2025, 3, 1))
    # Re-importing the new roster changes nothing more.
    again = _roster(enterprise, [person_row(id_number=id_number, post="安全管理人员", hire=dt.date(2025, 3, 1))])
    assert again.unchanged == 1
    assert len(_employments(person)) == 2


def test_a_leave_date_on_the_roster_ends_the_employment(cast: Cast) -> None:
    enterprise = cast.east.enterprises[0]
    id_number = new_id()
    _roster(enterprise, [person_row(id_number=id_number, hire=dt.date(2025, 3, 1))])
    _roster(enterprise, [person_row(id_number=id_number, hire=dt.date(2025, 3, 1), leave=dt.date(2026, 1, 31))])
    person = Person.objects.get(id_number=id_number)
    assert person.leave_date == dt.date(2026, 1, 31)
    assert _employments(person) == [(enterprise.name, Post.EMPLOYEE, dt.date(2025, 3, 1), dt.date(2026, 1, 31))]


def test_a_roster_row_against_the_history_is_refused_naming_row_and_column(cast: Cast) -> None:
    enterprise = cast.east.enterprises[0]
    id_number = new_id()
    _roster(enterprise, [person_row(id_number=id_number, hire=dt.date(2025, 3, 1))])
    person = Person.objects.get(id_number=id_number)
    employment_start(person=person, enterprise=enterprise, post=Post.PRINCIPAL, start_date=dt.date(2025, 9, 1))
    other = new_id()
    rows = [
        person_row(name="李四", id_number=other),
        # Left before the current (principal's) employment began.
        person_row(id_number=id_number, post="主要负责人", hire=dt.date(2025, 3, 1), leave=dt.date(2025, 6, 30)),
    ]
    for dry_run in (True, False):
        result = _roster(enterprise, rows, dry_run=dry_run)
        assert [(e.row, e.column) for e in result.errors] == [(3, "离职日期")]
        assert "2025-09-01" in result.errors[0].message
        assert result.refused
    # Nothing was written: not the good row, not the bad one.
    assert not Person.objects.filter(id_number=other).exists()
    person.refresh_from_db()
    assert person.leave_date is None
    assert len(_employments(person)) == 2
    # With --valid-only the good row goes in.
    result = _roster(enterprise, rows, valid_only=True)
    assert result.created == 1
    assert Employment.objects.filter(person__id_number=other).count() == 1


def test_import_employees_and_the_upload_page_keep_employments(cast: Cast, tmp_path: Path) -> None:
    enterprise = cast.east.enterprises[0]
    id_number = new_id()
    path = tmp_path / "花名册.csv"
    path.write_bytes(csv_bytes([person_row(id_number=id_number, hire=dt.date(2025, 3, 1))]))
    call_command(
        "import_employees", str(path), enterprise=enterprise.credit_code, credentials_out=str(tmp_path / "c.csv")
    )
    person = Person.objects.get(id_number=id_number)
    assert Employment.objects.get(person=person).source == "花名册.csv row 2"
    response = upload(
        login_client(cast.east.enterprise_admin),
        enterprise.pk,
        csv_bytes([person_row(id_number=id_number, hire=dt.date(2025, 3, 1), leave=dt.date(2026, 2, 28))]),
        name="roster.csv",
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.leave_date == dt.date(2026, 2, 28)
    assert _employments(person) == [(enterprise.name, Post.EMPLOYEE, dt.date(2025, 3, 1), dt.date(2026, 2, 28))]


# --- the admin writes through the services --------------------------------------


def _admin_form(client, url):
    """The change form's fields as the browser would post them back."""
    page = client.get(url).content.decode()
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        data[name] = value
    return data


def test_the_admin_records_an_enterprise_change_as_a_new_status(cast: Cast) -> None:
    enterprise = cast.east.enterprises[0]
    enterprise_status_record(
        enterprise=enterprise,
        valid_from=BEGINNING,
        industry=enterprise.industry,
        above_scale=enterprise.above_scale,
        jurisdiction=enterprise.jurisdiction,
    )
    staff = make_staff(cast.platform_admin, "change_enterprise", "view_enterprisestatus", apps=["organizations"])
    client = login_client(staff)
    url = reverse("admin:organizations_enterprise_change", args=[enterprise.pk])
    data = _admin_form(client, url)
    data.update(
        {
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "industry": Industry.objects.get(code="machinery").pk,
            "jurisdiction": enterprise.jurisdiction.pk,
            "above_scale": "",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    today = timezone.localdate()
    assert _history(enterprise) == [
        (BEGINNING, "hazardous_chemicals", True, enterprise.jurisdiction.code),
        (today, "machinery", False, enterprise.jurisdiction.code),
    ]
    enterprise.refresh_from_db()
    assert (enterprise.industry.code, enterprise.above_scale) == ("machinery", False)
    # The status rows show on the page, read-only.
    page = client.get(url).content.decode()
    assert "1900" in page or "Jan. 1, 1900" in page
    assert 'name="statuses-0-valid_from"' not in page


def test_the_admin_records_a_new_post_as_a_new_employment(cast: Cast) -> None:
    person = cast.east.learner
    person.refresh_from_db()
    staff = make_staff(cast.platform_admin, "change_person", "view_employment", apps=["organizations"])
    client = login_client(staff)
    url = reverse("admin:organizations_person_change", args=[person.pk])
    data = _admin_form(client, url)
    data.update(
        {
            "user": person.user.pk,
            "enterprise": person.enterprise.pk,
            "name": person.name,
            "post": Post.SAFETY_MANAGER,
            "department": "",
            "hire_date": person.hire_date.isoformat(),
            "leave_date": "",
            "id_number": person.id_number,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    today = timezone.localdate()
    person.refresh_from_db()
    assert (person.post, person.hire_date) == (Post.SAFETY_MANAGER, dt.date(2026, 1, 5))
    assert _employments(person)[-2:] == [
        (person.enterprise.name, Post.EMPLOYEE, dt.date(2026, 1, 5), today - dt.timedelta(days=1)),
        (person.enterprise.name, Post.SAFETY_MANAGER, today, None),
    ]


def test_an_enterprise_and_a_person_from_before_the_history_keep_their_past(place) -> None:
    """Made without the services (a bulk load): the first write records their
    current values as the past before recording the change."""
    district, street = place
    legacy = factories.make_enterprise(district, name="旧厂", industry_code="hazardous_chemicals")
    person = factories.make_person(legacy)  # hired 2026-01-05
    _record(legacy, dt.date(2026, 3, 1), Industry.objects.get(code="machinery"), street)
    assert _history(legacy) == [
        (BEGINNING, "hazardous_chemicals", True, "990101"),
        (dt.date(2026, 3, 1), "machinery", True, "990101001"),
    ]
    assert EnterpriseStatus.objects.get(enterprise=legacy, valid_from=BEGINNING).source == "current columns"
    second = _enterprise(place, "乙机械厂")
    employment_start(person=person, enterprise=second, post=Post.EMPLOYEE, start_date=dt.date(2026, 4, 1))
    assert _employments(person) == [
        ("旧厂", Post.EMPLOYEE, dt.date(2026, 1, 5), dt.date(2026, 3, 31)),
        ("乙机械厂", Post.EMPLOYEE, dt.date(2026, 4, 1), None),
    ]


def test_someone_who_left_another_enterprise_joins_through_the_roster(cast: Cast) -> None:
    first, second = cast.east.enterprises
    id_number = new_id()
    _roster(first, [person_row(id_number=id_number, hire=dt.date(2025, 3, 1))])
    # Still on the first roster: the second enterprise cannot take them.
    refused = _roster(second, [person_row(id_number=id_number, hire=dt.date(2026, 2, 1))])
    assert [(e.row, e.column) for e in refused.errors] == [(2, "身份证号")]
    # Once they left, the second roster hires them: a transfer.
    _roster(first, [person_row(id_number=id_number, hire=dt.date(2025, 3, 1), leave=dt.date(2026, 1, 15))])
    joined = _roster(second, [person_row(id_number=id_number, post="特种作业人员", hire=dt.date(2026, 2, 1))])
    assert (joined.errors, joined.updated) == ([], 1)
    person = Person.objects.get(id_number=id_number)
    assert _current(person) == (second, Post.SPECIAL_OPERATOR, dt.date(2026, 2, 1), None)
    assert _employments(person) == [
        (first.name, Post.EMPLOYEE, dt.date(2025, 3, 1), dt.date(2026, 1, 15)),
        (second.name, Post.SPECIAL_OPERATOR, dt.date(2026, 2, 1), None),
    ]
    again = _roster(second, [person_row(id_number=id_number, post="特种作业人员", hire=dt.date(2026, 2, 1))])
    assert again.unchanged == 1


def test_the_admin_transfers_a_person_and_creates_an_enterprise_with_its_status(cast: Cast) -> None:
    person = cast.east.learner
    person.refresh_from_db()
    staff = make_staff(
        cast.platform_admin,
        "change_person",
        "view_employment",
        "add_enterprise",
        "view_enterprisestatus",
        apps=["organizations"],
    )
    client = login_client(staff)
    add = reverse("admin:organizations_enterprise_add")
    data = _admin_form(client, add)
    data.update(
        {
            "name": "新建化工厂",
            "credit_code": factories.credit_code("990101"),
            "industry": Industry.objects.get(code="hazardous_chemicals").pk,
            "jurisdiction": cast.east.jurisdiction.pk,
            "above_scale": "on",
        }
    )
    assert client.post(add, data).status_code == 302
    created = cast.east.enterprises[0].__class__.objects.get(name="新建化工厂")
    assert _history(created) == [(BEGINNING, "hazardous_chemicals", True, cast.east.jurisdiction.code)]
    assert EnterpriseStatus.objects.get(enterprise=created).recorded_by == staff

    url = reverse("admin:organizations_person_change", args=[person.pk])
    data = _admin_form(client, url)
    data.update(
        {
            "user": person.user.pk,
            "enterprise": created.pk,
            "name": person.name,
            "post": person.post,
            "department": "",
            "hire_date": "2026-05-01",
            "leave_date": "",
            "id_number": person.id_number,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert (person.enterprise, person.hire_date) == (created, dt.date(2026, 5, 1))
    assert _employments(person) == [
        (cast.east.enterprises[0].name, Post.EMPLOYEE, dt.date(2026, 1, 5), dt.date(2026, 4, 30)),
        ("新建化工厂", Post.EMPLOYEE, dt.date(2026, 5, 1), None),
    ]


def test_a_later_start_where_the_person_already_works_is_not_a_new_hire(place) -> None:
    enterprise = _enterprise(place)
    person = _person(enterprise)
    same = employment_start(person=person, enterprise=enterprise, post=Post.EMPLOYEE, start_date=dt.date(2026, 3, 1))
    assert _employments(person) == [("甲化工厂", Post.EMPLOYEE, dt.date(2025, 1, 10), None)]
    assert same.start_date == dt.date(2025, 1, 10)
    # After leaving, the same enterprise and post again is a re-hire.
    employment_end(person=person, end_date=dt.date(2026, 3, 31))
    employment_start(person=person, enterprise=enterprise, post=Post.EMPLOYEE, start_date=dt.date(2026, 6, 1))
    assert _employments(person) == [
        ("甲化工厂", Post.EMPLOYEE, dt.date(2025, 1, 10), dt.date(2026, 3, 31)),
        ("甲化工厂", Post.EMPLOYEE, dt.date(2026, 6, 1), None),
    ]
    person.refresh_from_db()
    assert (person.hire_date, person.leave_date) == (dt.date(2026, 6, 1), None)
