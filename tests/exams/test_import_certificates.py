"""import_data certificates: imported certificates, checked, idempotent on their number, scoped."""

from __future__ import annotations

import datetime as dt

import pytest

from exams.models import Certificate, CertificateType
from organizations.validators import mask_id_number
from tests.conftest import Cast
from tests.support.imports import csv_bytes, errors_of, run

pytestmark = pytest.mark.usefixtures("english")

HEADER = ("身份证号", "证书类型", "证书编号", "发证日期", "有效期至", "作业类别", "发证机关", "状态", "撤销日期")


def _row(
    person, number="T001", kind="特种作业操作证", issued="2025-03-01", until="2031-03-01", status="有效", revoked=""
):
    return [person.id_number, kind, number, issued, until, "电工作业", "东区应急管理局", status, revoked]


def test_a_row_creates_an_imported_certificate_with_the_holders_snapshots(cast: Cast) -> None:
    person = cast.east.learner
    result = run("certificates", csv_bytes(HEADER, _row(person)), user=cast.east.bureau, name="certs.csv")

    assert (result.created, result.errors) == (1, [])
    c = Certificate.objects.get(number="T001")
    assert c.imported
    assert c.attempt is None
    assert c.provider is None
    assert c.cert_type == CertificateType.SPECIAL_OPERATOR
    assert (c.issued_on, c.valid_until) == (dt.date(2025, 3, 1), dt.date(2031, 3, 1))
    assert c.operation_category == "电工作业"
    assert c.issuer_name == "东区应急管理局"
    assert c.holder == person
    assert c.holder_name == person.name
    assert c.masked_id_number == mask_id_number(person.id_number) != person.id_number
    assert c.enterprise == person.enterprise
    assert c.enterprise_name == person.enterprise.name
    assert c.source == "certs.csv row 2"
    assert c.imported_by == cast.east.bureau
    assert c.state(dt.date(2026, 1, 1)) == "valid"


def test_reimport_is_unchanged_and_a_later_revocation_is_an_update(cast: Cast) -> None:
    person = cast.east.learner
    data = csv_bytes(HEADER, _row(person))
    run("certificates", data)
    again = run("certificates", data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)

    revoked = run("certificates", csv_bytes(HEADER, _row(person, status="已撤销", revoked="2026-02-01")))

    assert (revoked.updated, revoked.errors) == (1, [])
    c = Certificate.objects.get(number="T001")
    assert c.status == Certificate.Status.REVOKED
    assert c.revoked_at.date() in (dt.date(2026, 1, 31), dt.date(2026, 2, 1))
    assert c.state() == "revoked"
    assert Certificate.objects.count() == 1


def test_bad_rows_are_named_and_nothing_is_written(cast: Cast) -> None:
    person = cast.east.learner
    stranger = person.id_number[:6] + "19800101" + "0000"
    data = csv_bytes(
        HEADER,
        _row(person, "A1"),
        _row(person, "A2", until="2024-01-01"),
        _row(person, "A3", kind="驾驶证"),
        _row(person, "A4", status="已撤销"),
        _row(person, "A5", status="作废"),
        [stranger, "主要负责人", "A6", "2025-01-01", "2028-01-01", "", "", "", ""],
        _row(person, "A1"),
    )
    result = run("certificates", data)
    assert errors_of(result) == [
        (3, "有效期至"),
        (4, "证书类型"),
        (5, "撤销日期"),
        (6, "状态"),
        (7, "身份证号"),
        (8, "证书编号"),
    ]
    assert not Certificate.objects.exists()


def test_an_unknown_holder_must_be_imported_first(cast: Cast) -> None:
    from tests.factories import id_number

    row = _row(cast.east.learner)
    row[0] = id_number()
    result = run("certificates", csv_bytes(HEADER, row))
    assert errors_of(result) == [(2, "身份证号")]
    assert "import the people first" in result.errors[0].message


def test_a_platform_certificate_number_is_not_overwritten(cast: Cast) -> None:
    person = cast.east.learner
    run("certificates", csv_bytes(HEADER, _row(person, "P1")))
    Certificate.objects.filter(number="P1").update(imported=False)
    result = run("certificates", csv_bytes(HEADER, _row(person, "P1", until="2032-01-01")))
    assert errors_of(result) == [(2, "证书编号")]
    assert Certificate.objects.get(number="P1").valid_until == dt.date(2031, 3, 1)


def test_a_bureau_official_imports_only_for_their_subtree(cast: Cast) -> None:
    data = csv_bytes(HEADER, _row(cast.east.learner, "E1"), _row(cast.west.learner, "W1"))
    result = run("certificates", data, user=cast.east.bureau)
    assert errors_of(result) == [(3, "身份证号")]
    assert not Certificate.objects.exists()


def test_enterprise_admins_may_not_import_certificates(cast: Cast) -> None:
    from core import tabular

    kind = tabular.kind_get("certificates")
    assert kind is not None
    assert not kind.allowed(cast.east.enterprise_admin)
    assert kind.allowed(cast.east.bureau)
    assert kind.allowed(cast.platform_admin)
