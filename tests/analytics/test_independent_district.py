"""The figures on an independent district data set, loaded the way a bureau loads it.

tests/fixtures/analytics/district/ holds a district's records in the import
formats of issue 14 (jurisdictions, enterprises and their later status changes,
people and their transfers, certificates, classroom training), and
``expected.json`` the figures computed from those csv files alone with pandas
(bench/make_district_dataset.py), never through our code. Here every file goes
through ``manage.py import_data`` and every indicator must give exactly those
figures: totals, every grouping, and the people counted and missing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from analytics.indicators import compute, people
from analytics.queries import query_build

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "analytics" / "district"
EXPECTED = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))
KINDS = {
    "jurisdictions": "jurisdictions",
    "enterprises": "enterprises",
    "enterprise_changes": "enterprises",
    "people": "people",
    "people_transfers": "people",
    "certificates": "certificates",
    "training": "training",
}


@pytest.fixture
def district(db: Any, tmp_path: Path) -> None:
    from tests.conftest import ensure_industries

    ensure_industries()
    for name in EXPECTED["load_order"]:
        call_command(
            "import_data",
            KINDS[name],
            str(FOLDER / f"{name}.csv"),
            "--credentials-out",
            str(tmp_path / f"{name}-credentials.csv"),
            stdout=io.StringIO(),
        )


def _query(code: str, group_by: str | None = None) -> Any:
    params = {**EXPECTED["query"], **{k: str(v) for k, v in EXPECTED["params"].items()}}
    if group_by:
        params["group_by"] = group_by
    return query_build(user=None, code=code, params=params, today=dt.date(2026, 12, 5))


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-5


@pytest.mark.django_db
def test_every_indicator_matches_the_independent_computation(district: None) -> None:
    mismatches = []
    for code, want in EXPECTED["indicators"].items():
        result = compute(_query(code))
        total = want["total"]
        got = (result.total.numerator, result.total.denominator)
        if not (_close(float(got[0]), float(total["numerator"])) and got[1] == total["denominator"]):
            mismatches.append(f"{code} total: got {got}, expected {total}")
        for by, rows in want.get("rows", {}).items():
            got_rows = {r.key: (r.numerator, r.denominator) for r in compute(_query(code, by)).rows if r.denominator}
            want_rows = {r["key"]: (r["numerator"], r["denominator"]) for r in rows if r["denominator"]}
            if got_rows != want_rows:
                mismatches.append(f"{code} by {by}: got {got_rows}, expected {want_rows}")
        if "missing" in want:
            lines = people(_query(code))
            missing = sorted(line.id_number for line in lines if line.status == "missing")
            counted = sorted(line.id_number for line in lines if line.status == "counted")
            if missing != sorted(want["missing"]) or counted != sorted(want["counted"]):
                mismatches.append(
                    f"{code} people: missing {len(missing)} vs {len(want['missing'])}, "
                    f"counted {len(counted)} vs {len(want['counted'])}; "
                    f"only ours missing {sorted(set(missing) - set(want['missing']))[:5]}, "
                    f"only theirs missing {sorted(set(want['missing']) - set(missing))[:5]}"
                )
        for key, value in want.get("extra", {}).items():
            if result.extra.get(key) != value:
                mismatches.append(f"{code} extra {key}: got {result.extra.get(key)}, expected {value}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_each_file_loaded_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    """Idempotent: a file imported again right after itself changes nothing.
    (Loading enterprises.csv again after enterprise_changes.csv is not a no-op,
    and rightly so: its rows carry no 生效日期, so they are changes from today.)"""
    from tests.conftest import ensure_industries

    ensure_industries()
    for name in EXPECTED["load_order"]:
        path = str(FOLDER / f"{name}.csv")
        call_command("import_data", KINDS[name], path, "--credentials-out", str(tmp_path / name), stdout=io.StringIO())
        out = io.StringIO()
        call_command("import_data", KINDS[name], path, stdout=out)
        assert "没有变化" in out.getvalue() or "Nothing changed" in out.getvalue(), (name, out.getvalue())
    for code, want in EXPECTED["indicators"].items():
        total = compute(_query(code)).total
        assert _close(float(total.numerator), float(want["total"]["numerator"])), code
        assert total.denominator == want["total"]["denominator"], code
