"""The independent district data set (tests/fixtures/analytics/district/): the
committed files are what bench/make_district_dataset.py generates, their codes
pass the platform's check digits, and the expected figures are non-trivial."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ValidationError

from organizations.validators import validate_credit_code, validate_id_number
from tests.support.bench_scripts import bench_script

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "tests" / "fixtures" / "analytics" / "district"


def _script() -> ModuleType:
    return bench_script("make_district_dataset")


def _rows(name: str) -> list[dict[str, str]]:
    with (FOLDER / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_committed_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    texts = _script().write(tmp_path)
    for name, text in texts.items():
        assert (FOLDER / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run bench/make_district_dataset.py"
        )


def test_codes_pass_the_platform_check_digits() -> None:
    for row in _rows("enterprises"):
        validate_credit_code(row["统一社会信用代码"])
    for name in ("people", "people_transfers", "certificates", "training"):
        for row in _rows(name):
            validate_id_number(row["身份证号"])
    with pytest.raises(ValidationError):  # the generator's check digit is not a constant
        validate_credit_code(_rows("enterprises")[0]["统一社会信用代码"][:-1] + "0")


def test_expected_figures_are_non_trivial_and_consistent() -> None:
    expected = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))
    people = {r["身份证号"] for r in _rows("people")}
    for code in ("new_employee_training_rate", "principal_certified_rate", "special_operator_certified_rate"):
        figure = expected["indicators"][code]
        total = figure["total"]
        assert 0 < total["rate"] < 1, code
        assert len(figure["counted"]) == total["numerator"]
        assert len(figure["counted"]) + len(figure["missing"]) == total["denominator"]
        assert set(figure["missing"]) <= people
        for by, rows in figure["rows"].items():
            assert sum(r["denominator"] for r in rows) == total["denominator"], (code, by)
            assert sum(r["numerator"] for r in rows) == total["numerator"], (code, by)
    assert expected["indicators"]["training_hours"]["total"]["numerator"] > 0
