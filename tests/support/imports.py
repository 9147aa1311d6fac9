"""Files for import_data tests: a csv or xlsx built from a header and rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from core import tabular
from core.spreadsheets import Sheet, write_xlsx


def csv_bytes(header: Sequence[str], *rows: Sequence[Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(header: Sequence[str], *rows: Sequence[Any]) -> bytes:
    return write_xlsx([Sheet(title="data", columns=list(header), rows=[list(r) for r in rows])])


def run(
    code: str, data: bytes, *, user: Any = None, name: str = "file.csv", dry_run: bool = False
) -> tabular.ImportResult:
    kind = tabular.kind_get(code)
    assert kind is not None
    return tabular.run_import_bytes(kind=kind, data=data, name=name, user=user, dry_run=dry_run)


def errors_of(result: tabular.ImportResult) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]
