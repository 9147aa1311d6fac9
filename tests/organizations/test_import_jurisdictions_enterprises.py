"""import_data jurisdictions and enterprises: the tree, the register and its status history."""

from __future__ import annotations

import datetime as dt

import pytest

from organizations.models import BEGINNING, Enterprise, EnterpriseStatus, Jurisdiction
from tests.conftest import Cast
from tests.factories import credit_code
from tests.support.imports import csv_bytes, errors_of, run

pytestmark = pytest.mark.usefixtures("english")

J_HEADER = ("行政区划代码", "名称", "上级代码", "类型")
E_HEADER = ("统一社会信用代码", "企业名称", "行业", "规模以上", "属地代码", "生效日期")


def test_jurisdictions_children_may_come_before_their_parents(cast: Cast) -> None:
    data = csv_bytes(
        J_HEADER,
        ["990103001", "新区一街道", "990103", "街道"],
        ["990103", "新区", "", "区"],
        ["990103002", "新区开发区", "990103", "开发区"],
    )
    result = run("jurisdictions", data, user=cast.platform_admin)
    assert (result.created, result.errors) == (3, [])
    street = Jurisdiction.objects.get(code="990103001")
    assert street.path == "/990103/990103001/"
    assert street.kind == Jurisdiction.Kind.STREET
    assert Jurisdiction.objects.get(code="990103002").kind == Jurisdiction.Kind.ZONE

    again = run("jurisdictions", data, user=cast.platform_admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    renamed = run("jurisdictions", csv_bytes(J_HEADER, ["990103", "新城区", "", "区"]))
    assert renamed.updated == 1
    assert Jurisdiction.objects.get(code="990103").name == "新城区"


def test_jurisdiction_errors_name_row_and_column(cast: Cast) -> None:
    data = csv_bytes(
        J_HEADER,
        ["990101002", "东区第二街道", "990101", "街道"],
        ["99010", "坏代码", "990101", "街道"],
        ["990101003", "无上级", "990777", "街道"],
        ["990101004", "类型错", "990101", "村"],
        ["990101002", "重复", "990101", "街道"],
    )
    result = run("jurisdictions", data)
    assert errors_of(result) == [(3, "行政区划代码"), (4, "上级代码"), (5, "类型"), (6, "行政区划代码")]
    assert not Jurisdiction.objects.filter(code="990101002").exists()


def test_a_bureau_official_adds_nodes_below_their_own_only(cast: Cast) -> None:
    data = csv_bytes(
        J_HEADER,
        ["990101009", "东区新街道", "990101", "街道"],
        ["990102009", "西区新街道", "990102", "街道"],
        ["990101", "东区改名", "", "区"],
    )
    result = run("jurisdictions", data, user=cast.east.bureau)
    assert errors_of(result) == [(3, "行政区划代码"), (4, "行政区划代码")]
    ok = run(
        "jurisdictions",
        csv_bytes(J_HEADER, data_row := ["990101009", "东区新街道", "990101", "街道"]),
        user=cast.east.bureau,
    )
    assert ok.created == 1, data_row


def test_a_new_enterprise_holds_its_status_from_the_beginning(cast: Cast) -> None:
    code = credit_code()
    data = csv_bytes(E_HEADER, [code, "新企业", "机械制造", "是", "990101001", ""])
    result = run("enterprises", data, user=cast.east.bureau, name="register.csv")
    assert (result.created, result.errors) == (1, [])
    enterprise = Enterprise.objects.get(credit_code=code)
    assert enterprise.industry.code == "machinery"
    assert enterprise.above_scale
    assert enterprise.jurisdiction == cast.east.street
    status = EnterpriseStatus.objects.get(enterprise=enterprise)
    assert (status.valid_from, status.source, status.recorded_by) == (BEGINNING, "register.csv row 2", cast.east.bureau)

    again = run("enterprises", data, user=cast.east.bureau)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert EnterpriseStatus.objects.filter(enterprise=enterprise).count() == 1


def test_a_later_date_records_a_change_and_never_rewrites_the_past(cast: Cast) -> None:
    code = credit_code()
    run("enterprises", csv_bytes(E_HEADER, [code, "企业", "machinery", "否", "990101", "2020-01-01"]))
    changed = run("enterprises", csv_bytes(E_HEADER, [code, "企业", "危险化学品", "是", "990101001", "2024-07-01"]))
    assert (changed.updated, changed.errors) == (1, [])
    enterprise = Enterprise.objects.get(credit_code=code)
    rows = list(EnterpriseStatus.objects.filter(enterprise=enterprise).values_list("valid_from", "above_scale"))
    assert rows == [(dt.date(2020, 1, 1), False), (dt.date(2024, 7, 1), True)]
    assert enterprise.industry.code == "hazardous_chemicals"
    assert enterprise.above_scale

    past = run("enterprises", csv_bytes(E_HEADER, [code, "企业", "其他行业", "否", "990101", "2022-01-01"]))
    assert errors_of(past) == [(2, "生效日期")]
    assert EnterpriseStatus.objects.filter(enterprise=enterprise).count() == 2


def test_a_change_without_a_date_holds_from_today(cast: Cast) -> None:
    from django.utils import timezone

    enterprise = cast.east.enterprises[1]  # machinery, above scale
    result = run(
        "enterprises", csv_bytes(E_HEADER, [enterprise.credit_code, enterprise.name, "machinery", "否", "990101", ""])
    )
    assert result.updated == 1
    latest = EnterpriseStatus.objects.filter(enterprise=enterprise).latest("valid_from")
    assert latest.valid_from == timezone.localdate()
    assert latest.above_scale is False
    enterprise.refresh_from_db()
    assert enterprise.above_scale is False


def test_enterprise_errors_name_row_and_column(cast: Cast) -> None:
    good = credit_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = csv_bytes(
        E_HEADER,
        [good, "好企业", "机械制造", "是", "990101", ""],
        [bad, "坏代码", "机械制造", "是", "990101", ""],
        [credit_code(), "坏行业", "造船", "是", "990101", ""],
        [credit_code(), "坏规模", "机械制造", "大", "990101", ""],
        [credit_code(), "坏属地", "机械制造", "是", "990999", ""],
        [credit_code(), "坏日期", "机械制造", "是", "990101", "昨天"],
    )
    result = run("enterprises", data)
    assert errors_of(result) == [
        (3, "统一社会信用代码"),
        (4, "行业"),
        (5, "规模以上"),
        (6, "属地代码"),
        (7, "生效日期"),
    ]
    assert not Enterprise.objects.filter(credit_code=good).exists()


def test_a_bureau_official_cannot_register_in_another_district(cast: Cast) -> None:
    result = run(
        "enterprises",
        csv_bytes(E_HEADER, [credit_code(), "西区企业", "机械制造", "是", "990102", ""]),
        user=cast.east.bureau,
    )
    assert errors_of(result) == [(2, "统一社会信用代码")]
    moved = cast.west.enterprises[0]
    result = run(
        "enterprises",
        csv_bytes(E_HEADER, [moved.credit_code, moved.name, "机械制造", "是", "990101", ""]),
        user=cast.east.bureau,
    )
    assert errors_of(result) == [(2, "统一社会信用代码")]


def test_a_second_change_on_the_same_day_corrects_the_first(cast: Cast) -> None:
    enterprise = cast.east.enterprises[1]
    row = [enterprise.credit_code, enterprise.name, "machinery", "否", "990101", ""]
    run("enterprises", csv_bytes(E_HEADER, row))
    row[3] = "是"
    row[2] = "建筑施工"
    assert run("enterprises", csv_bytes(E_HEADER, row)).updated == 1
    enterprise.refresh_from_db()
    assert enterprise.industry.code == "construction"
    assert EnterpriseStatus.objects.filter(enterprise=enterprise).count() == 2  # the first one and today's


def test_a_population_column_sets_the_jurisdictions_population(cast: Cast) -> None:
    header = (*J_HEADER, "常住人口")
    result = run("jurisdictions", csv_bytes(header, ["990101", "东区", "", "区", "350,000"]))
    assert result.updated == 1
    assert Jurisdiction.objects.get(code="990101").population == 350000
    assert run("jurisdictions", csv_bytes(J_HEADER, ["990101", "东区", "", "区"])).unchanged == 1
    bad = run("jurisdictions", csv_bytes(header, ["990101", "东区", "", "区", "很多"]))
    assert errors_of(bad) == [(2, "常住人口")]
