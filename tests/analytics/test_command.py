"""manage.py export_indicators: the table and people csv/xlsx, and bad input that writes nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.analytics.api_world import FROM, TO, stats_world
from tests.conftest import Cast

CODE = "principal_certified_rate"


@pytest.fixture
def world(cast: Cast) -> dict[str, Any]:
    return stats_world(cast)


def _export(out: Path, *args: str) -> list[list[str]]:
    call_command("export_indicators", CODE, "--from", FROM, "--to", TO, *args, "-o", str(out), stdout=io.StringIO())
    return list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))


def test_the_csv_table_has_the_columns_and_a_total_row(cast: Cast, world: Any, tmp_path: Path) -> None:
    rows = _export(
        tmp_path / "t.csv",
        "--jurisdiction",
        cast.east.jurisdiction.code,
        "--group-by",
        "jurisdiction",
        "--format",
        "csv",
    )
    assert rows[0] == ["key", "label", "numerator", "denominator", "rate"]
    by_key = {r[0]: r for r in rows[1:]}
    assert by_key[cast.east.street.code][2:] == ["1", "2", "0.5"]
    assert by_key[cast.east.jurisdiction.code][2:] == ["0", "1", "0.0"]
    assert rows[-1][0] == "total"
    assert rows[-1][2:4] == ["1", "3"]
    assert float(rows[-1][4]) == pytest.approx(1 / 3)


def test_without_a_scope_the_operator_gets_the_whole_platform(world: Any, tmp_path: Path) -> None:
    rows = _export(tmp_path / "t.csv", "--format", "csv")
    assert rows[-1][0] == "total"
    assert rows[-1][2:4] == ["2", "4"]


def test_a_zero_denominator_leaves_the_rate_empty(world: Any, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    call_command(
        "export_indicators", "special_operator_certified_rate", "--from", FROM, "--to", TO, "--format", "csv",
        "-o", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[-1][2:] == ["0", "0", ""]


def test_the_people_csv_has_the_chinese_columns_status_and_reason(cast: Cast, world: Any, tmp_path: Path) -> None:
    rows = _export(
        tmp_path / "p.csv", "--enterprise", cast.east.enterprises[0].credit_code, "--people", "--format", "csv"
    )
    assert rows[0] == ["姓名", "身份证号", "统一社会信用代码", "企业名称", "status", "reason"]
    lines = {r[0]: r for r in rows[1:]}
    assert set(lines) == {"张一", "李二"}
    assert lines["张一"][1] == world["east_p1"].id_number  # an operator sees the full number
    assert lines["张一"][2:5] == [cast.east.enterprises[0].credit_code, cast.east.enterprises[0].name, "counted"]
    assert lines["李二"][4] == "missing"
    assert lines["李二"][5]  # the reason, translated


def test_status_narrows_the_people(cast: Cast, world: Any, tmp_path: Path) -> None:
    rows = _export(tmp_path / "p.csv", "--people", "--status", "missing", "--format", "csv")
    assert sorted(r[0] for r in rows[1:]) == ["李二", "王三"]


def test_the_xlsx_has_the_table_and_a_metadata_sheet(cast: Cast, world: Any, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    call_command(
        "export_indicators", CODE, "--from", FROM, "--to", TO, "--jurisdiction", cast.east.jurisdiction.code,
        "--group-by", "enterprise", "--format", "xlsx", "-o", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    book = load_workbook(out, read_only=True)
    figures, about = book.worksheets
    rows = [list(r) for r in figures.iter_rows(values_only=True)]
    assert rows[0] == ["key", "label", "numerator", "denominator", "rate"]
    assert rows[-1][0] == "total"
    assert rows[-1][1] == "合计"  # not exams' 总分 (total score): the catalogues no longer collide
    assert rows[-1][2:4] == [1, 3]
    assert {r[0] for r in rows[1:-1]} == {e.credit_code for e in cast.east.enterprises}
    meta = "\n".join(str(v) for r in about.iter_rows(values_only=True) for v in r if v is not None)
    assert "分母：统计基准日" in meta  # the definition, in the export's language
    assert "Denominator" not in meta
    assert "按企业" in meta  # grouped by, as users read it
    assert "100%" in meta  # the target
    assert figures.cell(row=2, column=5).number_format == "0.0%"  # rates read as percentages in Excel
    assert f"{FROM} – {TO}" in meta
    assert cast.east.jurisdiction.code in meta
    assert CODE in meta


def test_a_formula_in_a_name_is_neutralised(cast: Cast, world: Any, tmp_path: Path) -> None:
    person = world["east_s1"]
    person.name = '=HYPERLINK("http://evil","点我")'
    person.save(update_fields=["name"])
    rows = _export(tmp_path / "p.csv", "--people", "--format", "csv")
    assert '\'=HYPERLINK("http://evil","点我")' in [r[0] for r in rows]
    out = tmp_path / "p.xlsx"
    call_command(
        "export_indicators", CODE, "--from", FROM, "--to", TO, "--people", "--format", "xlsx", "-o", str(out),
        stdout=io.StringIO(),
    )  # fmt: skip
    sheet = load_workbook(out).worksheets[0]
    cells = [c for c in sheet["A"] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells[0].data_type == "s"
    assert cells[0].value.startswith("'=")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["no_such_indicator", "--from", FROM, "--to", TO, "--format", "csv"], "CODE"),
        ([CODE, "--from", "2026-02-30", "--to", TO, "--format", "csv"], "--from"),
        ([CODE, "--from", TO, "--to", FROM, "--format", "csv"], "--from"),
        ([CODE, "--from", "2020-01-01", "--to", TO, "--format", "csv"], "--to"),
        ([CODE, "--from", FROM, "--to", TO, "--jurisdiction", "999999", "--format", "csv"], "--jurisdiction"),
        ([CODE, "--from", FROM, "--to", TO, "--enterprise", "123", "--format", "csv"], "--enterprise"),
        ([CODE, "--from", FROM, "--to", TO, "--group-by", "week", "--format", "csv"], "--group-by"),
        ([CODE, "--from", FROM, "--to", TO, "--format", "pdf"], "--format"),
        ([CODE, "--from", FROM, "--to", TO, "--status", "missing", "--format", "csv"], "--status"),
        ([CODE, "--from", FROM, "--to", TO, "--people", "--status", "gone", "--format", "csv"], "--status"),
        ([CODE, "--from", FROM, "--to", TO, "--param", "expiring_days=soon", "--format", "csv"], "expiring_days"),
    ],
)
def test_bad_input_names_the_option_and_writes_nothing(world: Any, tmp_path: Path, args: list[str], named: str) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError) as refused:
        call_command("export_indicators", *args, "-o", str(out), stdout=io.StringIO())
    assert named in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_a_refused_export_leaves_an_existing_file_alone(world: Any, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    out.write_text("last month")
    with pytest.raises(CommandError):
        call_command("export_indicators", CODE, "--from", TO, "--to", FROM, "--format", "csv", "-o", str(out))
    assert out.read_text() == "last month"
    assert list(tmp_path.iterdir()) == [out]


def test_the_command_exits_non_zero_on_bad_input(world: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [sys.executable, "manage.py", "export_indicators", "nope", "--from", FROM, "--to", TO, "--format", "csv",
         "-o", str(tmp_path / "x.csv")],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "CODE" in result.stderr
    assert not (tmp_path / "x.csv").exists()
