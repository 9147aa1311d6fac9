"""Employee roster import (xlsx or csv) for one enterprise.

Every row is read and validated before anything is written; the write is one
transaction. Re-importing the same file changes nothing: people are keyed on
their ID card number. New people get a login that must change its one-time
password at first sign-in; those passwords are returned to the caller once
and never logged, and neither are ID numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import User
from core import tabular
from core.spreadsheets import Column, Sheet, write_xlsx
from core.tabular import Credential, RowError
from core.uploads import CheckedUpload, check_spreadsheet
from organizations.errors import OrganizationsError
from organizations.models import Enterprise, Person
from organizations.services import employment_start, person_create, person_employment_update
from organizations.validators import id_number_lost_to_excel, normalize_id_number, validate_id_number

logger = logging.getLogger(__name__)

Post = Person.Post

# The fields a roster may carry, in template order.
FIELDS = ("name", "id_number", "post", "department", "hire_date", "leave_date", "phone", "email")
REQUIRED_FIELDS = ("name", "id_number", "post", "hire_date")
# Fields whose changes are employment history (organizations.services.person_employment_update).
HISTORY_FIELDS = frozenset({"post", "hire_date", "leave_date"})
# The Chinese titles are the template's; the English ones are accepted too.
CANONICAL_TITLES = {
    "name": "姓名",
    "id_number": "身份证号",
    "post": "岗位",
    "department": "部门",
    "hire_date": "入职日期",
    "leave_date": "离职日期",
    "phone": "手机号",
    "email": "邮箱",
}
_TITLE_ALIASES = {
    "name": ("姓名", "员工姓名", "name", "fullname"),
    "id_number": ("身份证号", "身份证号码", "身份证", "公民身份号码", "idnumber", "idcard", "idcardnumber", "idno"),
    "post": ("岗位", "岗位类别", "人员类别", "post", "position"),
    "department": ("部门", "所在部门", "department", "dept"),
    "hire_date": ("入职日期", "入职时间", "hiredate", "hired"),
    "leave_date": ("离职日期", "离职时间", "leavedate", "left"),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "phone", "mobile", "mobilephone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
}
_POST_ALIASES = {
    Post.PRINCIPAL: ("主要负责人", "负责人", "principal"),
    Post.SAFETY_MANAGER: ("安全管理人员", "安全生产管理人员", "安全管理员", "safetymanager"),
    Post.EMPLOYEE: ("从业人员", "一般从业人员", "员工", "普通员工", "职工", "employee"),
    Post.SPECIAL_OPERATOR: ("特种作业人员", "特种作业", "specialoperator", "specialoperationsworker"),
}
# How many leading rows may hold a title or notes above the column titles.
HEADER_SEARCH_ROWS = 10

_BLANKS = tabular.BLANKS
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·•"
_CJK_NAME = re.compile(rf"^[{_CJK}]+(?:\s+[{_CJK}]+)+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass
class ImportResult(tabular.ImportCounts):
    enterprise: Enterprise
    dry_run: bool
    valid_only: bool
    error_rows: set[int] = field(default_factory=set)

    @property
    def skipped(self) -> int:
        return len(self.error_rows)

    @property
    def refused(self) -> bool:
        """Errors stopped the whole import (or would have)."""
        return bool(self.errors) and not self.valid_only


@dataclass
class _Row:
    row: int
    name: str = ""
    id_number: str = ""
    post: str = ""
    department: str = ""
    hire_date: dt.date | None = None
    leave_date: dt.date | None = None
    phone: str = ""
    email: str = ""


class _Sheet:
    """The parsed header of a roster: which file column holds which field."""

    def __init__(self, header_row: int, columns: dict[str, int], titles: dict[str, str]) -> None:
        self.header_row = header_row
        self.columns = columns
        self.titles = titles

    def has(self, name: str) -> bool:
        return name in self.columns


# --- reading -----------------------------------------------------------------


def read_table(upload: CheckedUpload) -> list[list[Any]]:
    """The cells of the first sheet, row i being Excel/CSV row i + 1 (``core.tabular``, as every import)."""
    return tabular.read_first_sheet(upload)


_is_blank = tabular.is_blank
_text = tabular.text


_title_key = tabular.key_of


_TITLE_LOOKUP = {re.sub(r"[\s_\-]", "", alias.lower()): f for f, aliases in _TITLE_ALIASES.items() for alias in aliases}
_POST_LOOKUP = {re.sub(r"[\s_\-]", "", alias.lower()): p for p, aliases in _POST_ALIASES.items() for alias in aliases}


def _find_header(table: list[list[Any]]) -> tuple[_Sheet | None, list[RowError]]:
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        named = [_TITLE_LOOKUP.get(_title_key(c)) for c in cells]
        if "name" not in named or "id_number" not in named:
            continue
        row = index + 1
        columns, titles, errors = tabular.header_columns(
            row,
            cells,
            named,
            lambda name, first, second: (
                _("Columns “%(first)s” and “%(second)s” both hold the %(field)s.")
                % {"first": first, "second": second, "field": field_label(name)}
            ),
        )
        for name in REQUIRED_FIELDS:
            if name not in columns:
                errors.append(
                    RowError(
                        row,
                        "",
                        _("The required column “%(title)s” (%(field)s) is missing.")
                        % {"title": CANONICAL_TITLES[name], "field": field_label(name)},
                    )
                )
        return _Sheet(row, columns, titles), errors
    return None, [
        RowError(
            1,
            "",
            _("No row of column titles was found: the first rows must include the columns “姓名” and “身份证号”."),
        )
    ]


def field_label(name: str) -> str:
    labels = {
        "name": pgettext("person", "name"),
        "id_number": _("ID card number"),
        "post": _("post"),
        "department": _("department"),
        "hire_date": _("hire date"),
        "leave_date": _("leave date"),
        "phone": _("mobile phone"),
        "email": _("email"),
    }
    return str(labels[name])


# --- cell parsing --------------------------------------------------------------


# A real Excel date, an Excel serial number, or text such as 2026-01-05; raises ValueError.
parse_date = tabular.parse_date


def parse_post(value: Any) -> str | None:
    key = re.sub(rf"[\s{_BLANKS}_\-]", "", _text(value).lower())
    return _POST_LOOKUP.get(key)


def _clean_name(value: Any) -> str:
    name = re.sub(rf"[\s{_BLANKS}]+", " ", _text(value))
    # Two-character names are often padded to three with a (full-width) space.
    if _CJK_NAME.match(name):
        name = re.sub(r"\s+", "", name)
    return name


def clean_phone(value: Any) -> str:
    phone = re.sub(rf"[\s{_BLANKS}\-()（）]", "", _text(value))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    return phone


def _parse_row(sheet: _Sheet, number: int, cells: list[Any]) -> tuple[_Row | None, list[RowError]]:
    def cell(name: str) -> Any:
        index = sheet.columns.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    if all(_is_blank(cell(name)) for name in sheet.columns):
        return None, []  # a blank row (its unknown columns, e.g. 序号, don't count)

    errors: list[RowError] = []
    row = _Row(row=number)

    def error(name: str, message: str) -> None:
        errors.append(RowError(number, sheet.titles.get(name, CANONICAL_TITLES[name]), message))

    for name in REQUIRED_FIELDS:
        if _is_blank(cell(name)):
            error(name, _("The %(field)s is missing.") % {"field": field_label(name)})

    row.name = _clean_name(cell("name"))
    if len(row.name) > Person._meta.get_field("name").max_length:
        error("name", _("The name is longer than %(n)d characters.") % {"n": Person._meta.get_field("name").max_length})

    raw_id = cell("id_number")
    if id_number_lost_to_excel(raw_id) and not _is_blank(raw_id):
        # Excel keeps 15 significant digits: an 18-digit number has lost its tail.
        error(
            "id_number",
            _(
                "The ID card number was stored as a number and Excel dropped its last digits; format the column as text and type it again."
            ),
        )
    elif not _is_blank(raw_id):
        row.id_number = normalize_id_number(re.sub(rf"[\s{_BLANKS}]", "", _text(raw_id)))
        try:
            validate_id_number(row.id_number)
        except ValidationError as exc:
            error("id_number", " ".join(str(m) for m in exc.messages))

    if not _is_blank(cell("post")):
        post = parse_post(cell("post"))
        if post is None:
            error(
                "post",
                _("Unknown post “%(value)s”: use 主要负责人, 安全管理人员, 从业人员 or 特种作业人员.")
                % {"value": _text(cell("post"))[:40]},
            )
        else:
            row.post = post

    row.department = re.sub(rf"[{_BLANKS}]+", " ", _text(cell("department")))
    if len(row.department) > Person._meta.get_field("department").max_length:
        error(
            "department",
            _("The department is longer than %(n)d characters.")
            % {"n": Person._meta.get_field("department").max_length},
        )

    for name in ("hire_date", "leave_date"):
        raw = cell(name)
        if _is_blank(raw):
            continue
        try:
            setattr(row, name, parse_date(raw))
        except (ValueError, OverflowError):
            error(
                name,
                _("“%(value)s” is not a valid date; write dates like 2026-01-05, 2026/1/5 or 2026年1月5日.")
                % {"value": _text(raw)[:40]},
            )
    if row.hire_date and row.leave_date and row.leave_date < row.hire_date:
        error("leave_date", _("The leave date is before the hire date."))

    if not _is_blank(cell("phone")):
        row.phone = clean_phone(cell("phone"))
        if not MOBILE.match(row.phone):
            error("phone", _("The mobile phone number must have 11 digits and start with 1."))

    if not _is_blank(cell("email")):
        row.email = _text(cell("email"))
        try:
            validate_email(row.email)
        except ValidationError:
            error("email", _("The email address is not valid."))

    return row, errors


# --- validation across rows and against the database ---------------------------


def _check_duplicates(rows: list[_Row], sheet: _Sheet) -> list[RowError]:
    errors = []
    for name, key in (
        ("id_number", lambda r: r.id_number),
        ("phone", lambda r: r.phone),
        ("email", lambda r: r.email.lower()),
    ):
        seen: dict[str, list[int]] = {}
        for r in rows:
            if key(r):
                seen.setdefault(key(r), []).append(r.row)
        for numbers in seen.values():
            if len(numbers) < 2:
                continue
            # Both rows are flagged: which one is right is the admin's call.
            for number in numbers:
                others = ", ".join(str(n) for n in numbers if n != number)
                errors.append(
                    RowError(
                        number,
                        sheet.titles.get(name, CANONICAL_TITLES[name]),
                        _("The same %(field)s appears in row(s) %(rows)s.")
                        % {"field": field_label(name), "rows": others},
                    )
                )
    return errors


def _check_database(
    rows: list[_Row], sheet: _Sheet, enterprise: Enterprise, existing: dict[str, Person]
) -> list[RowError]:
    errors = []

    def error(r: _Row, name: str, message: str) -> None:
        errors.append(RowError(r.row, sheet.titles.get(name, CANONICAL_TITLES[name]), message))

    for r in rows:
        person = existing.get(r.id_number)
        if person is not None and person.enterprise_id != enterprise.pk and not _joins_from_elsewhere(person, r):
            # The other enterprise is not named: it is not this admin's business.
            error(
                r,
                "id_number",
                _(
                    "This person is on the roster of another enterprise; they must be removed there before they can be imported here."
                ),
            )
        elif (
            person is not None
            and not sheet.has("leave_date")
            and person.leave_date
            and r.hire_date
            and person.leave_date < r.hire_date
        ):
            # Without a leave-date column the recorded one stays, and must not precede the new hire date.
            error(r, "hire_date", _("The hire date is after the leave date already recorded for this person."))

    own_user = {id_number: p.user_id for id_number, p in existing.items()}
    phones = {r.phone for r in rows if r.phone}
    phone_users = dict(User.objects.filter(phone__in=phones).values_list("phone", "pk"))
    emails = {r.email.lower() for r in rows if r.email}
    email_users: dict[str, set[int]] = {}
    for email, pk in (
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "pk")
    ):
        email_users.setdefault(email, set()).add(pk)
    for r in rows:
        mine = own_user.get(r.id_number)
        if r.phone and phone_users.get(r.phone, mine) != mine:
            error(r, "phone", _("This mobile phone number is already used by another account."))
        if r.email and email_users.get(r.email.lower(), {mine}) - {mine}:
            error(r, "email", _("This email address is already used by another account."))
    return errors


def _joins_from_elsewhere(person: Person, r: _Row) -> bool:
    """A person who left another enterprise before this row's hire date joins this one (a transfer)."""
    return person.leave_date is not None and r.hire_date is not None and person.leave_date < r.hire_date


def _changes(person: Person, r: _Row, sheet: _Sheet) -> tuple[dict[str, Any], dict[str, Any]]:
    """Person and user fields the row would change. A column missing from the
    file changes nothing; a blank phone or email keeps the login's current one."""
    person_fields: dict[str, Any] = {"name": r.name, "post": r.post, "hire_date": r.hire_date}
    if sheet.has("department"):
        person_fields["department"] = r.department
    if sheet.has("leave_date"):
        person_fields["leave_date"] = r.leave_date
    user_fields: dict[str, Any] = {"display_name": r.name}
    if r.phone:
        user_fields["phone"] = r.phone
    if r.email:
        user_fields["email"] = r.email
    return (
        {k: v for k, v in person_fields.items() if getattr(person, k) != v},
        {k: v for k, v in user_fields.items() if getattr(person.user, k) != v},
    )


# --- the import ----------------------------------------------------------------


def import_roster(
    *,
    enterprise: Enterprise,
    upload: CheckedUpload,
    dry_run: bool = False,
    valid_only: bool = False,
) -> ImportResult:
    """Validate every row, then (unless ``dry_run``) write them in one transaction.

    With any error nothing is written unless ``valid_only``, in which case the
    rows without errors are. Raises ``UploadRejected`` for a file that cannot
    be read at all. Call with an upload already through ``check_spreadsheet``.
    """
    result = ImportResult(enterprise=enterprise, dry_run=dry_run, valid_only=valid_only)
    table = read_table(upload)
    sheet, header_errors = _find_header(table)
    if sheet is None or header_errors:
        result.errors = header_errors
        return result

    rows: list[_Row] = []
    for index in range(sheet.header_row, len(table)):
        row, errors = _parse_row(sheet, index + 1, table[index])
        if row is None:
            continue
        rows.append(row)
        result.errors.extend(errors)
    result.rows = len(rows)
    if not rows:
        result.errors.append(RowError(sheet.header_row, "", _("The file has column titles but no employees.")))
        return result
    result.errors.extend(_check_duplicates(rows, sheet))

    try:
        with transaction.atomic():
            if not dry_run:
                # One import per enterprise at a time: the checks below stay true until commit.
                Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
            _validate_and_write(result, rows, sheet, enterprise, dry_run=dry_run, upload_name=upload.name)
    except IntegrityError:
        # Another import or edit took an ID number or phone between our check and our write.
        result.created = result.updated = result.unchanged = 0
        result.credentials = []
        result.valid_only = False
        result.errors.append(
            RowError(
                sheet.header_row,
                "",
                _("Someone changed these people at the same time; nothing was imported. Please try again."),
            )
        )
    result.errors.sort(key=lambda e: (e.row, FIELDS.index(_field_of(e, sheet)) if _field_of(e, sheet) else -1))
    logger.info(
        "Roster import for enterprise %s (dry_run=%s): %d created, %d updated, %d unchanged, %d rows with errors",
        enterprise.pk,
        dry_run,
        result.created,
        result.updated,
        result.unchanged,
        len({e.row for e in result.errors}),
    )
    return result


def _field_of(error: RowError, sheet: _Sheet) -> str | None:
    for name, title in sheet.titles.items():
        if title == error.column:
            return name
    return None


def _validate_and_write(
    result: ImportResult,
    rows: list[_Row],
    sheet: _Sheet,
    enterprise: Enterprise,
    *,
    dry_run: bool,
    upload_name: str = "",
) -> None:
    existing = {
        p.id_number: p
        for p in Person.objects.select_related("user").filter(id_number__in=[r.id_number for r in rows if r.id_number])
    }
    result.errors.extend(_check_database(rows, sheet, enterprise, existing))
    result.error_rows = {e.row for e in result.errors}
    if result.errors and not result.valid_only:
        return

    for r in rows:
        if r.row in result.error_rows:
            continue
        person = existing.get(r.id_number)
        if person is None:
            result.created += 1
            if dry_run:
                continue
            person, password = person_create(
                source=_source(upload_name, r.row),
                enterprise=enterprise,
                name=r.name,
                id_number=r.id_number,
                hire_date=r.hire_date,  # type: ignore[arg-type]
                post=r.post,
                department=r.department,
                phone=r.phone or None,
                email=r.email,
                leave_date=r.leave_date,
            )
            assert password is not None  # person_create made a one-time password
            result.credentials.append(Credential(r.row, r.name, person.user.username, password))
            continue
        person_changes, user_changes = _changes(person, r, sheet)
        transfer = person.enterprise_id != enterprise.pk
        if not person_changes and not user_changes and not transfer:
            result.unchanged += 1
            continue
        # Post, hire and leave dates are history: they go through the employment services,
        # also on a dry run (inside a savepoint that is rolled back) so that it reports their refusals.
        if transfer or HISTORY_FIELDS & person_changes.keys():
            try:
                with transaction.atomic():
                    if transfer:
                        employment_start(
                            person=person,
                            enterprise=enterprise,
                            post=r.post,
                            start_date=r.hire_date,  # type: ignore[arg-type]
                            end_date=r.leave_date,
                            source=_source(upload_name, r.row),
                        )
                    else:
                        person_employment_update(
                            person=person,
                            post=r.post,
                            hire_date=r.hire_date,  # type: ignore[arg-type]
                            leave_date=r.leave_date if sheet.has("leave_date") else person.leave_date,
                            source=_source(upload_name, r.row),
                        )
                    if dry_run:
                        raise _RolledBack
            except _RolledBack:
                pass
            except OrganizationsError as refused:
                name = str(refused.details.get("field", ""))
                result.errors.append(
                    RowError(r.row, sheet.titles.get(name, CANONICAL_TITLES.get(name, "")), refused.message)
                )
                result.error_rows.add(r.row)
                continue
        result.updated += 1
        if dry_run:
            continue
        plain = {k: v for k, v in person_changes.items() if k not in HISTORY_FIELDS}
        if plain:
            for k, v in plain.items():
                setattr(person, k, v)
            person.save(update_fields=[*plain, "updated_at"])
        if user_changes:
            for k, v in user_changes.items():
                setattr(person.user, k, v)
            person.user.save(update_fields=list(user_changes))
    if result.errors and not result.valid_only:
        # A row refused while writing: nothing of this import stays.
        transaction.set_rollback(True)
        result.created = result.updated = result.unchanged = 0
        result.credentials = []


class _RolledBack(Exception):
    """Leaves a dry run's savepoint, undoing its writes."""


def _source(upload_name: str, row: int) -> str:
    # Stored with the employment, the same in every language (as the ledger's import sources).
    return f"{upload_name or 'roster'} row {row}"[:255]


def import_roster_bytes(
    *, enterprise: Enterprise, data: bytes, name: str = "", dry_run: bool = False, valid_only: bool = False
) -> ImportResult:
    """Check the raw file (size, magic bytes, zip bomb) and import it."""
    upload = check_spreadsheet(data, name)
    return import_roster(enterprise=enterprise, upload=upload, dry_run=dry_run, valid_only=valid_only)


# --- the template ----------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty roster with the column titles and a sheet of instructions."""
    widths = {
        "name": 12,
        "id_number": 22,
        "post": 16,
        "department": 16,
        "hire_date": 14,
        "leave_date": 14,
        "phone": 15,
        "email": 24,
    }
    # Text format keeps 18-digit ID numbers and phone numbers intact.
    columns = [
        Column(
            CANONICAL_TITLES[name],
            width=widths[name],
            number_format="yyyy-mm-dd" if name.endswith("_date") else "@",
            required=name in REQUIRED_FIELDS,
        )
        for name in FIELDS
    ]
    roster = Sheet(title="花名册", columns=columns, formatted_rows=1000)
    explanations = {
        "name": _("The person's full name."),
        "id_number": _("18-character resident ID card number; the last character may be X. Keep the column as text."),
        "post": _(
            "One of 主要负责人 (principal), 安全管理人员 (safety manager), 从业人员 (employee), 特种作业人员 (special operations worker)."
        ),
        "department": _("Department or workshop."),
        "hire_date": _("A date such as 2026-01-05, 2026/1/5 or 2026年1月5日."),
        "leave_date": _("Leave empty while the person works here; when filled it must not be before the hire date."),
        "phone": _("11-digit mainland mobile number; the person can sign in with it. Not shared with another account."),
        "email": _("Optional; the person can sign in with it."),
    }
    columns_help = [(CANONICAL_TITLES[name], name, name in REQUIRED_FIELDS, explanations[name]) for name in FIELDS]
    general = (
        _("Only the first sheet is read. Columns may be in any order; other columns are ignored."),
        _("Columns whose titles are red must be filled in every row."),
        _(
            "Every row is checked first; if any row has an error nothing is imported, unless you choose to import the valid rows only."
        ),
        _("Importing the same file again is safe: people are matched by ID card number and only changes are saved."),
        _("New people get an account with a one-time password that must be changed at the first sign-in."),
        _(
            "Employment history is kept for the statistics: a changed post counts from the day of the import, a leave date ends the employment, and someone who left another enterprise before the hire date joins this one."
        ),
    )
    return write_xlsx([roster, tabular.instructions_sheet(columns_help, general, widths=(14, 16))])
