"""import_data training: classroom training credited to the ledger, all-or-nothing, idempotent, scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from organizations.models import Person
from tests.conftest import Cast
from tests.factories import complete_credit_code
from tests.support.imports import csv_bytes, errors_of, run, xlsx_bytes
from training.models import CreditLedger, RequirementProfile

pytestmark = pytest.mark.usefixtures("english")

HEADER = ("身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期", "考核结果")


def _row(
    person: Person, purpose: str = "岗前", hours: object = "24", day: str = "2026-01-10", result: str = "合格"
) -> list:
    return [person.id_number, person.enterprise.credit_code, purpose, hours, day, result]


def test_rows_become_ledger_entries_with_their_source(cast: Cast) -> None:
    person = cast.east.learner
    data = csv_bytes(HEADER, _row(person), _row(person, "年度再培训", "1.5", "2026/3/2", "不合格"))

    result = run("training", data, user=cast.platform_admin, name="课堂培训.csv")

    assert (result.created, result.unchanged, result.errors) == (2, 0, [])
    onboarding, annual = CreditLedger.objects.filter(learner=person.user).order_by("started_at")
    assert onboarding.lesson is None
    assert onboarding.method == CreditLedger.Method.IMPORT
    assert onboarding.purpose == CreditLedger.Purpose.ONBOARDING
    assert onboarding.seconds == 24 * 45 * 60
    assert onboarding.enterprise == person.enterprise
    assert onboarding.assessment_passed is True
    assert onboarding.source == "课堂培训.csv row 2"
    assert onboarding.imported_by == cast.platform_admin
    assert timezone.localtime(onboarding.started_at).replace(tzinfo=None) == dt.datetime(2026, 1, 10)
    assert onboarding.ended_at - onboarding.started_at == dt.timedelta(hours=18)
    assert annual.purpose == CreditLedger.Purpose.ANNUAL
    assert annual.seconds == int(1.5 * 45 * 60)
    assert annual.assessment_passed is False


def test_the_profile_sets_the_minutes_of_a_credit_hour(cast: Cast) -> None:
    person = cast.east.learner  # an employee of a hazardous-chemicals (high-risk) enterprise
    RequirementProfile.objects.update_or_create(
        high_risk=True, post=Person.Post.EMPLOYEE, defaults={"initial_hours": 72, "minutes_per_hour": 60}
    )
    run("training", csv_bytes(HEADER, _row(person, hours="2")), user=None)
    assert CreditLedger.objects.get(learner=person.user).seconds == 2 * 60 * 60


def test_reimporting_the_same_file_changes_nothing(cast: Cast) -> None:
    person = cast.east.learner
    data = xlsx_bytes(HEADER, _row(person), _row(person, "年度再培训", "8", "2026-02-01"))
    assert run("training", data, name="t.xlsx").created == 2

    again = run("training", data, name="t.xlsx")

    assert (again.created, again.unchanged, again.changed) == (0, 2, False)
    assert CreditLedger.objects.filter(learner=person.user).count() == 2


def test_the_same_records_under_another_name_or_as_csv_are_not_credited_twice(cast: Cast) -> None:
    """A browser's second download is "t (1).xlsx"; a colleague re-saves it as csv: the same
    records, and the 学时 must not double. A new record in the copy is still credited."""
    person = cast.east.learner
    rows = (_row(person), _row(person, "年度再培训", "8", "2026-02-01"))
    assert run("training", xlsx_bytes(HEADER, *rows), name="t.xlsx").created == 2

    renamed = run("training", xlsx_bytes(HEADER, *rows), name="t (1).xlsx")
    as_csv = run("training", csv_bytes(HEADER, *rows, _row(person, "年度再培训", "4", "2026-03-01")), name="t.csv")

    assert (renamed.created, renamed.unchanged) == (0, 2)
    assert (as_csv.created, as_csv.unchanged) == (1, 2)
    assert CreditLedger.objects.filter(learner=person.user).count() == 3


@pytest.mark.parametrize(
    ("hours", "message"),
    [("0", "positive"), ("-2", "positive"), ("abc", "positive")],
)
def test_hours_must_be_a_positive_number(cast: Cast, hours: str, message: str) -> None:
    person = cast.east.learner
    result = run("training", csv_bytes(HEADER, _row(person), _row(person, hours=hours, day="2026-01-11")))
    assert errors_of(result) == [(3, "学时")]
    assert message in result.errors[0].message
    assert not CreditLedger.objects.exists()


def test_every_bad_cell_is_named_and_nothing_is_written(cast: Cast) -> None:
    person = cast.east.learner
    bad_credit = person.enterprise.credit_code[:-1] + ("0" if person.enterprise.credit_code[-1] != "0" else "1")
    bad_id = person.id_number[:-1] + ("0" if person.id_number[-1] != "0" else "1")
    data = csv_bytes(
        HEADER,
        _row(person),
        [bad_id, person.enterprise.credit_code, "岗前", "8", "2026-01-10", ""],
        [person.id_number, bad_credit, "岗前", "8", "2026-01-10", ""],
        [person.id_number, person.enterprise.credit_code, "入职", "8", "2026-01-10", ""],
        [person.id_number, person.enterprise.credit_code, "岗前", "8", "2026-13-40", ""],
        [person.id_number, person.enterprise.credit_code, "岗前", "8", "2026-01-12", "优秀"],
        [person.id_number, complete_credit_code("91990101MA9999999"), "岗前", "8", "2026-01-10", ""],
        _row(person),  # the same as row 2
    )

    result = run("training", data, user=cast.platform_admin)

    assert errors_of(result) == [
        (3, "身份证号"),
        (4, "统一社会信用代码"),
        (5, "培训类别"),
        (6, "培训日期"),
        (7, "考核结果"),
        (8, "统一社会信用代码"),
        (9, "身份证号"),
    ]
    assert "row 2" in result.errors[-1].message
    assert "No enterprise has this unified social credit code" in result.errors[5].message  # row 8
    assert result.created == 0
    assert not CreditLedger.objects.exists()


def test_english_titles_in_any_order_are_accepted(cast: Cast) -> None:
    person = cast.east.learner
    data = csv_bytes(
        ("date", "hours", "purpose", "credit_code", "id_number"),
        ["2026-01-10", "4", "annual", person.enterprise.credit_code, person.id_number],
    )
    assert run("training", data).created == 1


def test_a_person_who_never_worked_there_is_refused(cast: Cast) -> None:
    person = cast.east.learner
    other = cast.east.enterprises[1]
    result = run("training", csv_bytes(HEADER, [person.id_number, other.credit_code, "岗前", "8", "2026-01-10", ""]))
    assert errors_of(result) == [(2, "身份证号")]


def test_an_enterprise_admin_imports_only_for_their_own_enterprise(cast: Cast) -> None:
    east, west = cast.east.learner, cast.west.learner
    data = csv_bytes(HEADER, _row(east), _row(west))

    refused = run("training", data, user=cast.east.enterprise_admin)

    assert errors_of(refused) == [(3, "统一社会信用代码")]
    assert "outside" in refused.errors[0].message
    assert not CreditLedger.objects.exists()
    assert run("training", csv_bytes(HEADER, _row(east)), user=cast.east.enterprise_admin).created == 1


def test_a_bureau_official_imports_within_their_subtree(cast: Cast) -> None:
    result = run("training", csv_bytes(HEADER, _row(cast.west.learner)), user=cast.east.bureau)
    assert errors_of(result) == [(2, "统一社会信用代码")]
    assert run("training", csv_bytes(HEADER, _row(cast.east.learner)), user=cast.east.bureau).created == 1


def test_dry_run_counts_and_writes_nothing(cast: Cast) -> None:
    result = run("training", csv_bytes(HEADER, _row(cast.east.learner)), dry_run=True)
    assert result.created == 1
    assert not CreditLedger.objects.exists()
