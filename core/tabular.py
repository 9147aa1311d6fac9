"""Tabular imports: one machinery for every "load the records you already have" file.

A kind of import (``jurisdictions``, ``enterprises``, ``people``,
``certificates``, ``training``) is an ``ImportKind`` that a feature app
registers in its ``AppConfig.ready()``; core knows no feature. Every kind
follows the same rules, held here:

- the first sheet of an xlsx, or a csv (UTF-8 or GB18030, via ``core.uploads``);
- the column titles are found in the first rows; Chinese titles, the English
  field names too, in any order; unknown columns are ignored;
- every row is parsed and checked before anything is written, and each error
  names its row (as numbered in the spreadsheet) and its column (as titled in
  the file);
- any error: nothing is written (``prepare`` and ``apply`` run in one
  transaction);
- idempotent: a kind reports what it would create, update or leave unchanged,
  and a re-import of the same file changes nothing.

A kind's ``prepare`` does the database checks (lookups in bulk, the user's
scope on every row) and returns a ``Plan`` whose ``apply`` writes; a refusal
that only the write can see (a service's) is raised as ``RowRefused`` and names
its row. A dry run writes too and then undoes the transaction, so it reports
exactly what the import would do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import Column, Sheet, write_xlsx
from core.uploads import CheckedUpload, UploadRejected, check_spreadsheet, decode_csv, not_a_workbook

# How many leading rows may hold a title or notes above the column titles.
HEADER_SEARCH_ROWS = 10
BLANKS = " \t\r\n\u3000\xa0\u200b\ufeff"
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellError(ValueError):
    """A cell that cannot be parsed; the message is for the user and names no row (the caller adds it)."""


class _DryRun(Exception):  # noqa: N818 - a signal to undo the transaction, not an error
    def __init__(self, plan: Plan) -> None:
        super().__init__("dry run")
        self.plan = plan


class RowRefused(Exception):
    """A kind's write refused one row after the checks passed (a service's refusal, e.g. history
    recorded meanwhile): the import's transaction is undone and the row named."""

    def __init__(self, row: int, field: str | None, message: str) -> None:
        super().__init__(message)
        self.row, self.field, self.message = row, field, str(message)


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number (the title row of a plain sheet is row 1)
    column: str  # the column title as written in the file; "" for the whole row
    message: str


# --- cells -------------------------------------------------------------------


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip(BLANKS)


def text(value: Any) -> str:
    """The cell as trimmed text; a whole float (Excel's numbers) without its ``.0``."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    return str(value).strip(BLANKS)


def compact(value: Any) -> str:
    """Text without any blank inside (codes, ID numbers)."""
    return re.sub(rf"[\s{BLANKS}]", "", text(value))


def parse_date(value: Any) -> dt.date:
    """A real Excel date, an Excel serial number, or text such as 2026-01-05,
    2026/1/5, 2026年1月5日 or 20260105."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 29991231:
            return parse_date(str(int(number)))
        if number.is_integer() and 1 <= number <= 2958465:
            # A date cell that lost its date format is left with its serial number.
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        raise CellError(_("“%(value)s” is not a date.") % {"value": value})
    raw = text(value)
    match = _DATE_TEXT.match(raw) or _DATE_DIGITS.match(raw)
    try:
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        pass
    raise CellError(
        _("“%(value)s” is not a valid date; write dates like 2026-01-05, 2026/1/5 or 2026年1月5日.")
        % {"value": raw[:40]}
    )


def parse_positive_decimal(value: Any) -> Decimal:
    """A number greater than zero (学时 may be 1.5)."""
    raw = text(value)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0:
        raise CellError(_("“%(value)s” is not a positive number.") % {"value": raw[:40]})
    return number


def choice_parser(choices: dict[str, Any], shown: str) -> Callable[[Any], Any]:
    """A parser of one of ``choices`` (written form -> value); case and blanks do not matter.
    ``shown`` lists the accepted forms in the error message."""
    lookup = {key_of(k): v for k, v in choices.items()}

    def parse(value: Any) -> Any:
        found = lookup.get(key_of(value), _MISSING)
        if found is _MISSING:
            raise CellError(
                _("Unknown value “%(value)s”: use %(choices)s.") % {"value": text(value)[:40], "choices": shown}
            )
        return found

    return parse


_MISSING = object()


def text_parser(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        cleaned = re.sub(rf"[{BLANKS}]+", " ", text(value))
        if len(cleaned) > max_length:
            raise CellError(_("The text is longer than %(n)d characters.") % {"n": max_length})
        return cleaned

    return parse


def key_of(value: Any) -> str:
    """How titles and choices are compared: lower case, no blanks, no (notes), no * or _ or -."""
    raw = text(value).lower()
    raw = re.sub(r"[（(【\[].*?[)）】\]]", "", raw)  # "姓名（必填）", "name (required)"
    return re.sub(rf"[\s{BLANKS}*＊_\-:：]", "", raw)


# --- the kinds -----------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One column a kind reads: its English field name, its Chinese title (the template's),
    other accepted titles, and how a cell becomes a value (raising ``CellError``)."""

    name: str
    title: str
    parse: Callable[[Any], Any]
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: Any = ""
    help: Any = ""
    width: float = 16
    is_date: bool = False


@dataclass
class Row:
    number: int
    values: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)


@dataclass(frozen=True)
class Credential:
    """A new login handed out once (people imports): never stored readable, never logged."""

    row: int
    name: str
    username: str
    password: str


@dataclass
class Plan:
    """What ``prepare`` found: the counts, and the write to run when there is no error."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    apply: Callable[[], None] | None = None
    credentials: list[Credential] = field(default_factory=list)


class Errors:
    """The row errors of one import; ``add`` names the column as the file titles it."""

    def __init__(self, titles: dict[str, str], kind: ImportKind) -> None:
        self.titles = titles
        self.kind = kind
        self.items: list[RowError] = []
        self._rows: set[int] = set()

    def add(self, row: int, name: str | None, message: str) -> None:
        column = ""
        if name:
            column = self.titles.get(name) or self.kind.field(name).title
        self.items.append(RowError(row, column, str(message)))
        self._rows.add(row)

    def rows(self) -> set[int]:
        """The numbers of the rows with an error (the set itself: cheap to ask once per row)."""
        return self._rows

    def __bool__(self) -> bool:
        return bool(self.items)


class ImportKind(ABC):
    """One kind of import, registered by the app whose records it writes."""

    code: str
    label: Any
    description: Any = ""
    fields: tuple[Field, ...] = ()
    # Two rows with the same values of these fields are duplicates inside the file.
    key_fields: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @abstractmethod
    def allowed(self, user: Any) -> bool:
        """May ``user`` use this kind at all (None is the operator)? Rows are scoped in ``prepare``."""

    @abstractmethod
    def prepare(self, rows: list[Row], *, user: Any, errors: Errors, source: str, today: dt.date) -> Plan:
        """Check the parsed rows against the database and the user's scope (adding to ``errors``),
        and return the plan. Runs inside the import's transaction."""

    def notes(self) -> list[Any]:
        """Lines for the template's instructions sheet, beyond the common rules."""
        return []

    def reference_sheets(self) -> list[Sheet]:
        """Sheets after the instructions listing the values a column accepts (the industry
        catalogue, the jurisdiction codes): what a user would otherwise have to guess."""
        return []


_kinds: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> None:
    """Register (or replace) a kind; call from ``AppConfig.ready()``."""
    _kinds[kind.code] = kind


def unregister(code: str) -> None:
    _kinds.pop(code, None)


def kinds() -> list[ImportKind]:
    return list(_kinds.values())


def kind_get(code: str) -> ImportKind | None:
    return _kinds.get(code)


def kinds_for(user: Any) -> list[ImportKind]:
    return [k for k in _kinds.values() if k.allowed(user)]


# --- reading -------------------------------------------------------------------


def read_first_sheet(upload: CheckedUpload) -> list[list[Any]]:
    """The cells of the first sheet (or of the csv), row i being spreadsheet row i + 1."""
    if upload.kind == "xlsx":
        from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

        try:
            book = CalamineWorkbook.from_filelike(upload.stream())
            if not book.sheet_names:
                raise UploadRejected(_("The workbook has no sheets."))
            return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except PasswordError:
            raise UploadRejected(_("The workbook is protected by a password; remove it and upload again.")) from None
        except (CalamineError, XmlError, ZipError, ValueError, KeyError, OSError):
            refusal = not_a_workbook(upload.data)
            raise refusal or UploadRejected(_("The Excel workbook could not be read; it may be damaged.")) from None
    try:
        return list(csv.reader(io.StringIO(decode_csv(upload.data))))
    except csv.Error:
        raise UploadRejected(_("The CSV file could not be read; check its quotes and separators.")) from None


def header_columns(
    row: int, cells: Sequence[Any], named: Sequence[str | None], same_field: Callable[[str, str, str], str]
) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """Read a title row: ``named`` holds the field each cell names (None: a column to ignore).
    Returns the column of each field, its title as written, and an error for each field named
    twice, whose message is ``same_field(field, first title, second title)``."""
    columns: dict[str, int] = {}
    titles: dict[str, str] = {}
    errors = []
    for i, name in enumerate(named):
        if name is None:
            continue  # 序号, 备注 and other columns are ignored
        if name in columns:
            errors.append(RowError(row, text(cells[i]), same_field(name, titles[name], text(cells[i]))))
            continue
        columns[name] = i
        titles[name] = text(cells[i])
    return columns, titles, errors


def find_header(
    table: list[list[Any]], kind: ImportKind, *, hint: bool = True
) -> tuple[int, dict[str, int], dict[str, str], list[RowError]]:
    """The title row (1-based), the column of each field, the titles as written, and header errors
    (with ``hint``, a file that is plainly of another kind is named as such)."""
    lookup: dict[str, str] = {}
    for f in kind.fields:
        for alias in (f.title, f.name, *f.aliases):
            lookup[key_of(alias)] = f.name
    needed = min(2, len(kind.fields))
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        named = [lookup.get(key_of(c)) for c in cells]
        if len({name for name in named if name}) < needed:
            continue
        number = index + 1
        columns, titles, errors = header_columns(
            number,
            cells,
            named,
            lambda _name, first, second: (
                _("Columns “%(first)s” and “%(second)s” are the same field.") % {"first": first, "second": second}
            ),
        )
        for f in kind.fields:
            if f.required and f.name not in columns:
                errors.append(
                    RowError(
                        number,
                        f.title,
                        _("The required column “%(title)s” (%(name)s) is missing.")
                        % {"title": f.title, "name": f.name},
                    )
                )
        return number, columns, titles, errors
    required = "、".join(f"“{f.title}”" for f in kind.fields if f.required)
    message = _("No row of column titles was found: the first rows must include %(titles)s.") % {"titles": required}
    if hint and (other := _kind_of_table(table, kind)) is not None:
        message = _(
            "This looks like a file of %(other)s, not of %(kind)s: choose %(other)s as the kind and upload it again."
        ) % {"other": other.label, "kind": kind.label}
    return 0, {}, {}, [RowError(1, "", message)]


def _kind_of_table(table: list[list[Any]], chosen: ImportKind) -> ImportKind | None:
    """Another registered kind whose column titles the file has, every required one: the
    kind the user most likely meant (a training file uploaded with 辖区 still selected)."""
    for kind in kinds():
        if kind.code == chosen.code:
            continue
        header_row, _columns, _titles, errors = find_header(table, kind, hint=False)
        if header_row and not errors:
            return kind
    return None


def parse_rows(
    table: list[list[Any]], header_row: int, columns: dict[str, int], kind: ImportKind, errors: Errors
) -> list[Row]:
    rows = []
    fields = [(f, columns[f.name]) for f in kind.fields if f.name in columns]
    # Each distinct cell of a column is parsed once: 100k training rows hold a few
    # thousand ID numbers, 50 credit codes and a handful of dates, hours and kinds.
    seen: dict[str, dict[Any, Any]] = {f.name: {} for f, _i in fields}
    for index in range(header_row, len(table)):
        cells = table[index]
        raw = {f.name: (cells[i] if i < len(cells) else None) for f, i in fields}
        if all(is_blank(v) for v in raw.values()):
            continue  # a blank row
        number = index + 1
        values: dict[str, Any] = {}
        for f, _i in fields:
            cell = raw[f.name]
            if is_blank(cell):
                if f.required:
                    errors.add(number, f.name, _("This column is required."))
                values[f.name] = None
                continue
            cache = seen[f.name]
            try:
                parsed = cache[cell]
            except KeyError:
                try:
                    parsed = f.parse(cell)
                except CellError as exc:
                    parsed = exc
                cache[cell] = parsed
            except TypeError:  # an unhashable cell: never from calamine or csv, but parse it anyway
                try:
                    parsed = f.parse(cell)
                except CellError as exc:
                    parsed = exc
            if isinstance(parsed, CellError):
                errors.add(number, f.name, str(parsed))
                values[f.name] = None
            else:
                values[f.name] = parsed
        rows.append(Row(number, values))
    return rows


def check_duplicates(rows: list[Row], kind: ImportKind, errors: Errors) -> None:
    if not kind.key_fields:
        return
    seen: dict[tuple[Any, ...], int] = {}
    for r in rows:
        key = tuple(r[name] for name in kind.key_fields)
        if key[0] is None:
            continue  # the missing value is reported already
        first = seen.setdefault(key, r.number)
        if first != r.number:
            errors.add(
                r.number,
                kind.key_fields[0],
                _("The same record is already in row %(row)d of this file.") % {"row": first},
            )


# --- the import ------------------------------------------------------------------


@dataclass(kw_only=True)
class ImportCounts:
    """What an import did (or a dry run would do) and the new accounts' one-time passwords:
    every import's result (this machinery's, the roster's)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)


@dataclass
class ImportResult(ImportCounts):
    kind: ImportKind
    source: str
    dry_run: bool

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def run_import(
    *, kind: ImportKind, upload: CheckedUpload, user: Any, dry_run: bool = False, today: dt.date | None = None
) -> ImportResult:
    """Read, check every row, then (unless ``dry_run`` or any error) write in one transaction.

    ``user`` None is the operator (every scope). Raises ``UploadRejected`` for a
    file that cannot be read at all. Call with an upload through ``check_spreadsheet``.
    """
    source = upload.name or kind.code
    result = ImportResult(kind=kind, source=source, dry_run=dry_run)
    table = read_first_sheet(upload)
    header_row, columns, titles, header_errors = find_header(table, kind)
    if header_errors:
        result.errors = header_errors
        return result
    errors = Errors(titles, kind)
    rows = parse_rows(table, header_row, columns, kind, errors)
    result.rows = len(rows)
    if not rows:
        errors.add(header_row, None, _("The file has column titles but no rows."))
        result.errors = errors.items
        return result
    check_duplicates(rows, kind, errors)
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            plan = kind.prepare(rows, user=user, errors=errors, source=source, today=today)
            if not errors and plan.apply is not None:
                plan.apply()
            if dry_run:
                # A dry run writes too, then undoes it: a service's refusal shows as it would for real.
                raise _DryRun(plan)
    except _DryRun as done:
        plan = done.plan
        plan.credentials = []  # the accounts were not kept
    except RowRefused as exc:
        errors.add(exc.row, exc.field, exc.message)
        plan = Plan()
    except IntegrityError:
        # Someone wrote the same records between our checks and our writes; the transaction undid ours.
        errors.add(
            header_row,
            None,
            _("Someone changed these records at the same time; nothing was imported. Please try again."),
        )
        plan = Plan()
    result.errors = sorted(errors.items, key=lambda e: (e.row, e.column))
    if not result.errors:
        result.created, result.updated, result.unchanged = plan.created, plan.updated, plan.unchanged
        result.credentials = plan.credentials
    return result


def run_import_bytes(*, kind: ImportKind, data: bytes, name: str, user: Any, dry_run: bool = False) -> ImportResult:
    """Check the raw file (size, magic bytes, zip bomb) and import it."""
    return run_import(kind=kind, upload=check_spreadsheet(data, name), user=user, dry_run=dry_run)


def source_of(source: str, row: int) -> str:
    """How an imported record names where it came from: "file.xlsx row 7". Not translated: it is
    audit data, and kinds find their earlier imports of a file by its prefix (``source_prefix``)."""
    return f"{source_prefix(source)}{row}"


def source_prefix(source: str) -> str:
    return f"{source[:230]} row "


# --- the template ------------------------------------------------------------------


def template_workbook(kind: ImportKind) -> bytes:
    """The kind's columns with their Chinese titles and an example row, and a sheet of instructions."""
    columns = [
        Column(f.title, width=f.width, number_format="yyyy-mm-dd" if f.is_date else "@", required=f.required)
        for f in kind.fields
    ]
    data = Sheet(title=str(kind.label), columns=columns, rows=[[f.example for f in kind.fields]], formatted_rows=200)
    general = (
        _(
            "Only the first sheet is read. Columns may be in any order; the English titles are accepted too; other columns are ignored."
        ),
        _("Delete the example row before importing."),
        _("Columns whose titles are red must be filled in every row."),
        _(
            "Every row is checked first; if any row has an error nothing is imported, and every error names its row and column."
        ),
        _("Importing the same file again is safe: it changes nothing."),
        *kind.notes(),
    )
    dates = _("A date such as 2026-01-05, 2026/1/5 or 2026年1月5日.")
    columns_help = [(f.title, f.name, f.required, f.help or (dates if f.is_date else "")) for f in kind.fields]
    return write_xlsx([data, instructions_sheet(columns_help, general), *kind.reference_sheets()])


def instructions_sheet(
    columns: Iterable[tuple[str, str, bool, object]], notes: Iterable[object], *, widths: tuple[int, int] = (16, 18)
) -> Sheet:
    """The instructions sheet of an import template: a row per column (its title, English name,
    whether it is required, what to enter), a blank row, then a row per general note.
    ``widths``: of the first two columns (titles and names)."""
    rows: list[Sequence[Any]] = [
        [title, name, _("yes") if required else _("no"), str(help_text)] for title, name, required, help_text in columns
    ]
    rows.append([])
    rows.extend([str(line)] for line in notes)
    return Sheet(
        title=_("Instructions"),
        columns=[
            Column(_("Column"), width=widths[0]),
            Column(_("English title"), width=widths[1]),
            Column(_("Required"), width=10),
            Column(_("What to enter"), width=90),
        ],
        rows=rows,
    )


def chunked(values: Sequence[Any] | set[Any], size: int = 2000) -> list[list[Any]]:
    """``values`` in slices short enough for one ``__in`` lookup on every database (SQLite limits parameters)."""
    items = list(values)
    return [items[i : i + size] for i in range(0, len(items), size)]


def credentials_csv(credentials: Sequence[Credential]) -> str:
    """The new logins, as csv text with a BOM (Excel on Chinese Windows); names are neutralised."""
    from core.spreadsheets import write_csv

    sheet = Sheet(
        title="credentials",
        columns=[_("Row"), _("Name"), _("Username"), _("Initial password")],
        rows=([c.row, c.name, c.username, c.password] for c in credentials),
    )
    return write_csv(sheet).decode("utf-8")


def credentials_href(credentials: Sequence[Credential]) -> str:
    """The new logins as a ``data:`` link: handed out in the one response, never kept on the server."""
    import base64

    encoded = base64.b64encode(credentials_csv(credentials).encode("utf-8")).decode("ascii")
    return f"data:text/csv;charset=utf-8;base64,{encoded}"


def hand_out(write: Callable[[str], None], credentials: Sequence[Credential], out: str | None) -> None:
    """A command's hand-out of new logins: into ``out`` (created mode 0600), or printed once."""
    import os

    if out:
        # Created private from the start: the file holds passwords.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(credentials_csv(credentials))
        write(
            _("The one-time passwords of %(n)d new account(s) were written to %(path)s.")
            % {"n": len(credentials), "path": out}
        )
        return
    write(_("New accounts (shown once; each must change the password at first sign-in):"))
    for c in credentials:
        write(f"  {_('row %(row)d') % {'row': c.row}}\t{c.name}\t{c.username}\t{c.password}")
