"""import_data people: rosters across enterprises, transfers, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from organizations.models import Employment, Person
from tests.conftest import Cast
from tests.factories import complete_credit_code, id_number
from tests.support.imports import csv_bytes, errors_of, run

pytestmark = pytest.mark.usefixtures("english")

HEADER = ("姓名", "身份证号", "统一社会信用代码", "岗位", "入职日期", "离职日期", "手机号")


def _jobs(person: Person) -> list[tuple[str, dt.date, dt.date | None]]:
    return [
        (e.enterprise.name, e.start_date, e.end_date)
        for e in Employment.objects.filter(person=person).order_by("start_date")
    ]


def test_new_people_across_enterprises_get_a_login_and_an_employment(cast: Cast) -> None:
    a, b = cast.east.enterprises
    n1, n2 = id_number(), id_number()
    data = csv_bytes(
        HEADER,
        ["李四", n1, a.credit_code, "特种作业人员", "2026-02-01", "", "13900000001"],
        ["王五", n2, b.credit_code, "主要负责人", "2025-06-01", "", ""],
    )
    result = run("people", data, user=cast.east.bureau, name="people.csv")

    assert (result.created, result.errors) == (2, [])
    assert [c.name for c in result.credentials] == ["李四", "王五"]
    li = Person.objects.get(id_number=n1)
    assert (li.enterprise, li.post, li.user.phone) == (a, Person.Post.SPECIAL_OPERATOR, "13900000001")
    assert _jobs(li) == [(a.name, dt.date(2026, 2, 1), None)]
    assert Employment.objects.get(person=li).source == "people.csv row 2"

    again = run("people", data, user=cast.east.bureau)
    assert (again.created, again.updated, again.unchanged, again.credentials) == (0, 0, 2, [])


def test_a_later_hire_at_another_enterprise_is_a_transfer(cast: Cast) -> None:
    a, b = cast.east.enterprises
    number = id_number()
    run("people", csv_bytes(HEADER, ["赵六", number, a.credit_code, "从业人员", "2024-03-01", "", ""]))

    moved = run("people", csv_bytes(HEADER, ["赵六", number, b.credit_code, "安全管理人员", "2026-01-10", "", ""]))

    assert (moved.updated, moved.errors) == (1, [])
    person = Person.objects.get(id_number=number)
    assert (person.enterprise, person.post, person.hire_date) == (b, Person.Post.SAFETY_MANAGER, dt.date(2026, 1, 10))
    assert _jobs(person) == [(a.name, dt.date(2024, 3, 1), dt.date(2026, 1, 9)), (b.name, dt.date(2026, 1, 10), None)]


def test_a_leave_date_already_recorded_is_kept_and_one_file_may_hold_the_history(cast: Cast) -> None:
    a, b = cast.east.enterprises
    number = id_number()
    data = csv_bytes(
        HEADER,
        ["钱七", number, b.credit_code, "从业人员", "2026-01-10", "", ""],
        ["钱七", number, a.credit_code, "从业人员", "2024-03-01", "2025-12-31", ""],
    )
    result = run("people", data)
    assert (result.created, result.errors) == (1, [])
    person = Person.objects.get(id_number=number)
    assert person.enterprise == b
    assert _jobs(person) == [(a.name, dt.date(2024, 3, 1), dt.date(2025, 12, 31)), (b.name, dt.date(2026, 1, 10), None)]


def test_an_earlier_row_without_a_leave_date_is_refused(cast: Cast) -> None:
    a, b = cast.east.enterprises
    number = id_number()
    run("people", csv_bytes(HEADER, ["孙八", number, a.credit_code, "从业人员", "2025-03-01", "", ""]))
    result = run("people", csv_bytes(HEADER, ["孙八", number, b.credit_code, "从业人员", "2024-01-01", "", ""]))
    assert errors_of(result) == [(2, "入职日期")]
    assert Person.objects.get(id_number=number).enterprise == a


def test_bad_rows_are_named_and_nothing_is_written(cast: Cast) -> None:
    a = cast.east.enterprises[0]
    good = id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = csv_bytes(
        HEADER,
        ["周九", good, a.credit_code, "从业人员", "2026-01-01", "", ""],
        ["吴十", bad, a.credit_code, "从业人员", "2026-01-01", "", ""],
        ["郑一", id_number(), "91990101MA00000000", "从业人员", "2026-01-01", "", ""],
        ["冯二", id_number(), a.credit_code, "厨师", "2026-01-01", "", ""],
        ["陈三", id_number(), a.credit_code, "从业人员", "2026-01-05", "2026-01-01", ""],
        ["褚四", id_number(), a.credit_code, "从业人员", "2026-01-01", "", "12345"],
    )
    result = run("people", data)
    assert errors_of(result) == [(3, "身份证号"), (4, "统一社会信用代码"), (5, "岗位"), (6, "离职日期"), (7, "手机号")]
    assert not Person.objects.filter(id_number=good).exists()


def test_a_credit_code_no_enterprise_has_is_refused(cast: Cast) -> None:
    unknown = complete_credit_code("91990101MA9999999")
    result = run("people", csv_bytes(HEADER, ["杨七", id_number(), unknown, "从业人员", "2026-01-01", "", ""]))
    assert errors_of(result) == [(2, "统一社会信用代码")]
    assert "No enterprise has this unified social credit code" in result.errors[0].message
    assert not Person.objects.filter(name="杨七").exists()


def test_an_enterprise_admin_imports_only_their_own_people(cast: Cast) -> None:
    mine, theirs = cast.east.enterprises
    data = csv_bytes(
        HEADER,
        ["卫五", id_number(), mine.credit_code, "从业人员", "2026-01-01", "", ""],
        ["蒋六", id_number(), theirs.credit_code, "从业人员", "2026-01-01", "", ""],
    )
    result = run("people", data, user=cast.east.enterprise_admin)
    assert errors_of(result) == [(3, "统一社会信用代码")]
    assert "outside" in result.errors[0].message

    # Transferring someone from an enterprise they do not manage is refused without naming it.
    west = cast.west.learner
    moved = run(
        "people",
        csv_bytes(HEADER, [west.name, west.id_number, mine.credit_code, "从业人员", "2026-06-01", "", ""]),
        user=cast.east.enterprise_admin,
    )
    assert errors_of(moved) == [(2, "身份证号")]
    assert cast.west.enterprises[0].name not in moved.errors[0].message
    west.refresh_from_db()
    assert west.enterprise == cast.west.enterprises[0]


def test_a_row_at_the_current_enterprise_is_a_roster_row(cast: Cast) -> None:
    from django.utils import timezone

    person = cast.east.learner  # an employee since 2026-01-05
    enterprise = person.enterprise
    row = [person.name, person.id_number, enterprise.credit_code, "安全管理人员", "2026-01-05", "", ""]

    result = run("people", csv_bytes(HEADER, row))

    assert (result.updated, result.errors) == (1, [])
    person.refresh_from_db()
    assert person.post == Person.Post.SAFETY_MANAGER
    today = timezone.localdate()
    jobs = list(Employment.objects.filter(person=person).order_by("start_date").values_list("post", "end_date"))
    if today > dt.date(2026, 1, 5):  # a change of post is a new employment from today
        assert jobs == [(Person.Post.EMPLOYEE, today - dt.timedelta(days=1)), (Person.Post.SAFETY_MANAGER, None)]
    assert run("people", csv_bytes(HEADER, row)).unchanged == 1


def test_a_dry_run_reports_and_keeps_nothing(cast: Cast) -> None:
    a = cast.east.enterprises[0]
    number = id_number()
    result = run(
        "people", csv_bytes(HEADER, ["沈七", number, a.credit_code, "从业人员", "2026-01-01", "", ""]), dry_run=True
    )
    assert (result.created, result.errors, result.credentials) == (1, [], [])
    assert not Person.objects.filter(id_number=number).exists()


def test_a_row_the_history_refuses_is_named_even_on_a_dry_run(cast: Cast) -> None:
    a, b = cast.east.enterprises
    number = id_number()
    run("people", csv_bytes(HEADER, ["杨九", number, a.credit_code, "从业人员", "2024-03-01", "", ""]))
    run("people", csv_bytes(HEADER, ["杨九", number, b.credit_code, "从业人员", "2025-06-01", "", ""]))
    # At the current enterprise, a hire date before the previous employment ended rewrites the past.
    row = ["杨九", number, b.credit_code, "从业人员", "2024-01-01", "", ""]
    for dry_run in (True, False):
        result = run("people", csv_bytes(HEADER, row), dry_run=dry_run)
        assert errors_of(result) == [(2, "入职日期")]
        assert result.updated == 0
    person = Person.objects.get(id_number=number)
    assert person.hire_date == dt.date(2025, 6, 1)
    assert _jobs(person) == [(a.name, dt.date(2024, 3, 1), dt.date(2025, 5, 31)), (b.name, dt.date(2025, 6, 1), None)]


def test_an_id_number_excel_wrote_as_a_number_into_a_csv_says_so(cast: Cast) -> None:
    """Excel shows an 18-digit number as 9.90101E+17 and saves a csv that way: the message
    says what happened and how to fix it, as it does for an xlsx cell read as a number."""
    a = cast.east.enterprises[0]
    data = csv_bytes(HEADER, ["周九", "9.90101E+17", a.credit_code, "从业人员", "2026-01-01", "", ""])
    result = run("people", data)
    assert errors_of(result) == [(2, "身份证号")]
    assert "Excel" in result.errors[0].message
