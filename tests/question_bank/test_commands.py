"""import_questions / export_questions as an operator runs them: output and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from question_bank.models import Bank, Question
from tests.question_bank.conftest import ROWS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_creates_platform_bank_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx_bytes([*ROWS, ROWS[0]]))
    out, _ = _run("import_questions", str(path), "--bank", "fire", "--create-bank", "消防题库")
    assert "created 4 / updated 0 / unchanged 0 / duplicate 1 / error 0" in out
    assert "row 6" in out  # the duplicate, by its Excel row
    bank = Bank.objects.get(code="fire")
    assert bank.owner is None
    assert bank.name == "消防题库"
    out, _ = _run("import_questions", str(path), "--bank", "fire")
    assert "created 0 / updated 0 / unchanged 4" in out


def test_import_with_owner(tmp_path: Path, cast: Any) -> None:
    path = tmp_path / "bank.csv"
    path.write_bytes(csv_bytes(ROWS))
    _run("import_questions", str(path), "--bank", "east", "--create-bank", "东区", "--owner", cast.east.provider.code)
    assert Bank.objects.get(code="east").owner == cast.east.provider
    assert Bank.objects.get(code="east").purpose == Bank.Purpose.EXAM_ONLY  # the safe default
    _run("import_questions", str(path), "--bank", "open", "--create-bank", "练习", "--purpose", "practice")
    assert Bank.objects.get(code="open").purpose == Bank.Purpose.PRACTICE
    with pytest.raises(CommandError, match="No training provider"):
        _run("import_questions", str(path), "--bank", "x", "--create-bank", "X", "--owner", "nobody")


def test_row_errors_fail_the_command_and_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx_bytes([*ROWS, [5, "单选题", "坏题", "a", "b", "", "", "E"]]))
    with pytest.raises(CommandError) as failed:
        _run("import_questions", str(path), "--bank", "b", "--create-bank", "B")
    assert failed.value.returncode == 1
    assert not Question.objects.exists()
    out, err = _run("import_questions", str(path), "--bank", "b", "--valid-only")
    assert "created 4" in out
    assert "error 1" in out
    assert "row 6 [答案]" in err
    assert Question.objects.count() == 4


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    out, _ = _run("import_questions", str(path), "--bank", "dry", "--create-bank", "Dry", "--dry-run")
    assert "nothing written: would create 4 / update 0 / leave 0 unchanged" in out
    assert "created 4" not in out
    assert "Dry run" in out
    assert not Bank.objects.exists()
    assert not Question.objects.exists()


def test_unknown_bank_and_refused_file(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(b"this is not a workbook at all \x00\x01")
    with pytest.raises(CommandError, match="--create-bank"):
        _run("import_questions", str(path), "--bank", "missing")
    Bank.objects.create(code="b", name="b")
    with pytest.raises(CommandError, match="bank.xlsx"):
        _run("import_questions", str(path), "--bank", "b")


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "gift", "aiken"])
def test_export_then_import_is_unchanged(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "bank.xlsx"
    source.write_bytes(xlsx_bytes(ROWS))
    _run("import_questions", str(source), "--bank", "b", "--create-bank", "B")
    target = tmp_path / f"out.{'txt' if fmt == 'aiken' else fmt}"
    out, _ = _run("export_questions", "--bank", "b", "--format", fmt, "-o", str(target))
    expected = {"xlsx": 4, "csv": 4, "gift": 4, "aiken": 2}[fmt]
    assert f"Exported {expected} question(s)" in out
    out, _ = _run("import_questions", str(target), "--bank", "b")
    assert f"created 0 / updated 0 / unchanged {expected}" in out


def test_row_errors_print_what_would_happen_never_created(tmp_path: Path) -> None:
    from io import StringIO

    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx_bytes([*ROWS, [5, "单选题", "坏题", "a", "b", "", "", "E"]]))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_questions", str(path), "--bank", "b", "--create-bank", "B", stdout=out, stderr=StringIO())
    assert "nothing written: would create 4 / update 0 / leave 0 unchanged / duplicate 0 / error 1" in out.getvalue()
    assert "created" not in out.getvalue()
