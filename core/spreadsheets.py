"""The one way the platform writes spreadsheets (xlsx and csv) for people to download.

Names, course titles and question stems come from roster imports and from the
public self-registration form, so any text cell may hold ``=HYPERLINK(...)``.
Every text cell is neutralised as OWASP recommends for CSV/formula injection:
a cell starting with ``= + - @``, tab or CR gets a leading apostrophe, and an
xlsx text cell is always stored as a string (openpyxl would otherwise store a
text starting with ``=`` as a formula and ``#N/A`` as an error value). Numbers,
dates and booleans stay what they are: ``-2`` is a number, not text.

``neutralise`` and ``unneutralise`` are exact inverses, so an export that is
imported again (the question bank) comes back unchanged.

A test (tests/security/test_export_injection.py) fails if a module outside
``core/`` writes a spreadsheet itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
_PLAIN_TYPES = (bool, int, float, Decimal, dt.datetime, dt.date, dt.time, dt.timedelta)

Kind = Literal["xlsx", "csv"]


def neutralise(value: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would run as a formula (see ``unneutralise``)."""
    if value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    # Exactly the inverse of neutralise(): for a value starting with "'",
    # neutralise(value[1:]) adds the apostrophe back iff this condition holds.
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def safe_value(value: Any) -> Any:
    """A cell value that no spreadsheet program runs: text neutralised, numbers and dates kept."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, _PLAIN_TYPES):
        return value
    return neutralise(str(value))  # str, lazy translations, enums, anything else: as text


REQUIRED_TITLE_COLOUR = "C00000"  # Excel's standard dark red


@dataclass(frozen=True)
class Column:
    """A column's title and, for xlsx, its look. ``number_format="@"`` keeps ID and phone numbers as text."""

    title: str
    width: float | None = None
    number_format: str | None = None
    wrap: bool = False
    required: bool = False  # an import template's column that must be filled: its title is red


@dataclass
class Sheet:
    """One sheet: a header row made of ``columns`` (bold, frozen in xlsx) and then ``rows``.

    ``formatted_rows`` pre-formats that many empty rows below the data (templates
    that people fill in keep their text/date formats).
    """

    title: str
    columns: Sequence[Column | str]
    rows: Iterable[Sequence[Any]] = ()
    formatted_rows: int = 0
    header: bool = True
    cols: list[Column] = field(init=False)

    def __post_init__(self) -> None:
        self.cols = [c if isinstance(c, Column) else Column(str(c)) for c in self.columns]


def sheet_title(title: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/\\."""
    return (str(title).translate(_SHEET_TITLE_FORBIDDEN).strip("'") or "Sheet")[:SHEET_TITLE_MAX]


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with the given sheets, written in openpyxl's streaming mode."""
    stream = io.BytesIO()
    write_xlsx_to(stream, sheets)
    return stream.getvalue()


def write_xlsx_to(target: BinaryIO, sheets: Sequence[Sheet]) -> None:
    """Stream a workbook into ``target`` in constant memory: rows are consumed
    one by one from each sheet's iterable (openpyxl's write-only mode keeps
    nothing but the current row and writes strings inline, with no shared
    string table growing with the file)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    seen: set[str] = set()
    for spec in sheets:
        title = sheet_title(spec.title)
        while title.lower() in seen:  # Excel refuses two sheets of the same name
            title = title[: SHEET_TITLE_MAX - 1] + "_"
        seen.add(title.lower())
        _fill(book.create_sheet(title), spec)
    if not sheets:
        book.create_sheet("Sheet")
    book.save(target)


def _fill(sheet: Any, spec: Sheet) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for i, col in enumerate(spec.cols, start=1):
        if col.width:
            sheet.column_dimensions[get_column_letter(i)].width = col.width
    if spec.header and spec.cols:
        sheet.freeze_panes = "A2"
        bold, required = Font(bold=True), Font(bold=True, color=REQUIRED_TITLE_COLOUR)
        head = [_xlsx_cell(sheet, c.title, None) for c in spec.cols]
        for cell, col in zip(head, spec.cols, strict=True):
            cell.font = required if col.required else bold
        sheet.append(head)
    cols = spec.cols
    for row in spec.rows:
        sheet.append([_xlsx_cell(sheet, v, cols[i] if i < len(cols) else None) for i, v in enumerate(row)])
    for _ in range(spec.formatted_rows):
        sheet.append([_xlsx_cell(sheet, None, col) for col in cols])


def _xlsx_cell(sheet: Any, value: Any, col: Column | None) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment

    value = safe_value(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters openpyxl refuses
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever the text looks like
    if col is not None:
        if col.number_format:
            cell.number_format = col.number_format
        if col.wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def write_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM, so that Excel on Chinese Windows opens it correctly."""
    stream = io.BytesIO()
    write_csv_to(stream, sheet)
    return stream.getvalue()


def write_csv_to(target: BinaryIO, sheet: Sheet) -> None:
    """Stream ``sheet`` into ``target`` as UTF-8 csv with a BOM, one row at a time."""
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text)
        if sheet.header and sheet.cols:
            writer.writerow([safe_value(c.title) for c in sheet.cols])
        for row in sheet.rows:
            writer.writerow(["" if v is None else v for v in map(safe_value, row)])
        text.flush()
    finally:
        text.detach()  # the caller owns ``target``: leave it open


def write(kind: Kind, sheets: Sequence[Sheet]) -> bytes:
    """xlsx holds every sheet; a csv holds exactly one."""
    stream = io.BytesIO()
    write_to(stream, kind, sheets)
    return stream.getvalue()


def write_to(target: BinaryIO, kind: Kind, sheets: Sequence[Sheet]) -> None:
    """``write`` into a binary file, streaming: for exports too large to hold in memory."""
    if kind == "xlsx":
        write_xlsx_to(target, sheets)
        return
    if len(sheets) != 1:
        raise ValueError("A csv file holds exactly one sheet.")
    write_csv_to(target, sheets[0])


def attachment_response(*, content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A download: the name is sent RFC 6266-encoded and stripped of path and control characters."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, safe_filename(filename))
    response["X-Content-Type-Options"] = "nosniff"
    return response


def spreadsheet_response(*, kind: Kind, sheets: Sequence[Sheet], filename: str) -> HttpResponse:
    """Write ``sheets`` as ``kind`` and send them as ``filename`` (the extension is set from ``kind``)."""
    stem = filename.rsplit(".", 1)[0] if filename.lower().endswith((".xlsx", ".csv")) else filename
    content_type = XLSX_CONTENT_TYPE if kind == "xlsx" else CSV_CONTENT_TYPE
    return attachment_response(content=write(kind, sheets), filename=f"{stem}.{kind}", content_type=content_type)


def safe_filename(name: str) -> str:
    """No directories, quotes or control characters; never empty."""
    cleaned = "".join("_" if (ch in '/\\"' or ord(ch) < 32 or ord(ch) == 127) else ch for ch in name)
    cleaned = cleaned.strip(" .")
    return cleaned[:150] or "download"
