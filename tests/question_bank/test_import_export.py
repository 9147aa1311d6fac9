"""Importing into the database, re-importing, exporting and round trips."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import override_settings
from openpyxl import load_workbook

from core.uploads import UploadRejected
from question_bank import exporters, importers, services
from question_bank.models import Bank, Question
from tests.question_bank.conftest import ROWS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank() -> Bank:
    return services.bank_create(actor=None, code="test-bank", name="测试题库", owner=None)


def _import(bank: Bank, data: bytes, name: str = "bank.xlsx", **kwargs: Any) -> services.ImportResult:
    return services.import_file(bank=bank, data=data, name=name, **kwargs)


def test_import_creates_questions_in_canonical_form(bank: Bank) -> None:
    result = _import(bank, xlsx_bytes(ROWS))
    assert result.counts == {"rows": 4, "created": 4, "updated": 0, "unchanged": 0, "duplicate": 0, "error": 0}
    stored = {q.type: q for q in Question.objects.filter(bank=bank)}
    assert stored["single"].answer == "B"
    assert stored["single"].options == ["110", "119", "120", "122"]
    assert stored["multiple"].answer == "ABC"
    assert stored["multiple"].industry_tags == "危险化学品、冶金"
    assert stored["true_false"].answer is True
    assert stored["true_false"].options == []
    assert stored["fill_blank"].answer == [["预防为主"]]
    assert all(q.version == 1 and q.is_active for q in stored.values())


def test_reimport_is_idempotent_and_changes_are_updates_with_a_new_version(bank: Bank) -> None:
    _import(bank, xlsx_bytes(ROWS))
    again = _import(bank, xlsx_bytes(ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    changed = [list(r) for r in ROWS]
    changed[0][7] = "C"  # answer
    changed[2][8] = "先通风，再检测，后作业。"  # explanation
    result = _import(bank, xlsx_bytes(changed))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 2)
    single = Question.objects.get(bank=bank, type="single")
    assert (single.answer, single.version) == ("C", 2)
    assert Question.objects.get(bank=bank, type="true_false").version == 2
    assert Question.objects.filter(bank=bank).count() == 4


def test_any_row_error_writes_nothing_unless_valid_only(bank: Bank) -> None:
    rows = [*ROWS, [5, "单选题", "坏题", "a", "b", "", "", "Z"]]
    result = _import(bank, xlsx_bytes(rows))
    assert result.counts["error"] == 1
    assert result.counts["created"] == 4
    assert not result.written
    assert Question.objects.filter(bank=bank).count() == 0
    result = _import(bank, xlsx_bytes(rows), valid_only=True)
    assert result.written
    assert Question.objects.filter(bank=bank).count() == 4


def test_dry_run_counts_but_writes_nothing(bank: Bank) -> None:
    result = _import(bank, xlsx_bytes(ROWS), dry_run=True)
    assert result.created == 4
    assert not Question.objects.exists()


def test_duplicates_in_file_are_imported_once(bank: Bank) -> None:
    result = _import(bank, csv_bytes([ROWS[0], ROWS[0], ROWS[1]]), "bank.csv")
    assert (result.created, result.duplicates) == (2, 1)
    assert Question.objects.filter(bank=bank).count() == 2


def test_zip_bomb_is_refused_before_parsing(bank: Bank, settings: Any) -> None:
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 5 * 1024 * 1024
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    with pytest.raises(UploadRejected, match="zip bomb"):
        _import(bank, stream.getvalue())
    assert not Question.objects.exists()


@override_settings(UPLOAD_MAX_BYTES=2048)
def test_file_over_the_size_cap_is_refused(bank: Bank) -> None:
    with pytest.raises(UploadRejected, match="limit"):
        _import(bank, xlsx_bytes(ROWS * 3))
    with pytest.raises(UploadRejected, match="limit"):
        _import(bank, "火警电话？\nA. 110\nB. 119\nANSWER: B\n\n".encode() * 100, "bank.txt")
    assert not Question.objects.exists()


def test_renamed_non_spreadsheet_is_refused(bank: Bank) -> None:
    with pytest.raises(UploadRejected):
        _import(bank, b"\xff\xd8\xff\xe0" + b"\x00JFIF" * 100, "photo.xlsx")
    assert not Question.objects.exists()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_is_all_unchanged(bank: Bank, fmt: str) -> None:
    tricky = [
        [9, "单选题", "=SUM(A1:A2) 是公式吗？", "+1", "-1", "@x", "'=y", "A", "-5℃ 以下", "", "=kp", "化工", ""],
        [10, "填空题", "温度低于____时停止作业，再记下____。", "", "", "", "", "-5℃/零下五度|'+x", "", 5, "", "", ""],
    ]
    # csv, because openpyxl would store "=SUM…" as a formula; in a csv it is text.
    assert _import(bank, csv_bytes([*ROWS, *tricky]), "source.csv").created == 6
    before = list(Question.objects.filter(bank=bank).order_by("pk").values())
    stream = io.BytesIO()
    getattr(exporters, f"export_{fmt}")(Question.objects.filter(bank=bank), stream)
    result = _import(bank, stream.getvalue(), f"export.{fmt}")
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, 6)
    assert list(Question.objects.filter(bank=bank).order_by("pk").values()) == before
    # Into a fresh bank: the same questions, field for field.
    fresh = services.bank_create(actor=None, code="fresh", name="fresh", owner=None)
    _import(fresh, stream.getvalue(), f"export.{fmt}")
    # Every field but the row's identity, its bank, the file it came from and when it was written.
    fields = [name for name in before[0] if name not in {"id", "bank_id", "source", "created_at", "updated_at"}]
    assert list(Question.objects.filter(bank=fresh).order_by("pk").values(*fields)) == [
        {k: row[k] for k in fields} for row in before
    ]


def test_exported_cells_are_neutralised_against_formula_injection(bank: Bank) -> None:
    _import(bank, csv_bytes([[1, "单选题", '=HYPERLINK("http://x")', "+1", "@a", "", "", "A", "-1"]]), "s.csv")
    stream = io.BytesIO()
    exporters.export_xlsx(Question.objects.filter(bank=bank), stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    row = [c.value for c in sheet[2]]
    assert row[:4] == ["单选题", '\'=HYPERLINK("http://x")', "'+1", "'@a"]
    assert row[11] == "'-1"
    assert not any(str(c.value or "").startswith(("=", "+", "-", "@", "\t")) for r in sheet.iter_rows() for c in r)
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_export_layout_and_canonical_answers(bank: Bank) -> None:
    rows = [[1, "多选", "灭火方法？", "冷却", "窒息", "隔离", "", "c、a", ""], [2, "判断", "对吗？", "", "", "", "", "√"],
            [3, "填空", "____和____", "", "", "", "", "119；火警/火灾报警"]]  # fmt: skip
    _import(bank, xlsx_bytes(rows))
    stream = io.BytesIO()
    exporters.export_csv(Question.objects.filter(bank=bank), stream)
    lines = stream.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0] == "题型,题干,选项A,选项B,选项C,选项D,选项E,选项F,选项G,选项H,答案,解析,难度,知识点,行业,适用岗位"
    answers = [line.split(",")[10] for line in lines[1:]]
    assert answers == ["AC", "正确", "119|火警/火灾报警"]


def test_gift_round_trip(bank: Bank) -> None:
    _import(bank, xlsx_bytes(ROWS))
    stream = io.BytesIO()
    written, skipped = exporters.export_gift(Question.objects.filter(bank=bank), stream)
    assert (written, skipped) == (4, 0)
    moodle = services.bank_create(actor=None, code="moodle", name="moodle", owner=None)
    result = _import(moodle, stream.getvalue(), "bank.gift")
    assert result.errors == []
    assert result.created == 4
    # and back into the original bank: nothing changes
    again = _import(bank, stream.getvalue(), "bank.gift")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_aiken_round_trip_for_single_and_true_false(bank: Bank) -> None:
    _import(bank, xlsx_bytes(ROWS))
    stream = io.BytesIO()
    written, skipped = exporters.export_aiken(Question.objects.filter(bank=bank), stream)
    assert (written, skipped) == (2, 2)  # multiple choice and fill-in have no Aiken form
    text = stream.getvalue().decode()
    assert "ANSWER: B" in text
    assert "ANSWER: A" in text
    again = _import(bank, stream.getvalue(), "bank.txt")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_template_has_instructions_and_imports_cleanly(bank: Bank) -> None:
    data = exporters.template_xlsx()
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "题库"
    assert len(book.sheetnames) == 2
    result = _import(bank, data)
    assert result.errors == []
    assert result.created == 5  # one of each type, the subjective 简答题 included
    assert Question.objects.filter(bank=bank, type="subjective").count() == 1


def test_error_report_lists_rows_columns_and_messages() -> None:
    parsed = importers.validate(importers.read_file(xlsx_bytes([[1, "怪题", "x", "a", "b", "", "", "A"]]), "x.xlsx"))
    sheet = load_workbook(io.BytesIO(exporters.error_report_xlsx(parsed.errors, parsed.warnings))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:2] == (2, "题型")
    assert "怪题" in rows[1][3]


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_large_utf8_bom_csv_is_accepted_wherever_the_sniffing_sample_ends(bank: Bank, pad: int) -> None:
    # The upload check decodes the first 64 KiB; a Chinese character cut at that
    # boundary (after a BOM) must not make the file look like binary. One of the
    # three paddings puts the boundary inside a character.
    long_stem = "危险化学品储存" * 4000  # 84 KB of three-byte characters
    data = csv_bytes([["x" * pad, "单选题", long_stem, "对", "错", "", "", "A"], ROWS[0]])
    assert len(data) > 65536
    result = _import(bank, data, "bank.csv")
    assert result.created == 2
