"""The organizations' kinds of ``import_data``: jurisdictions, enterprises, people.

The machinery (reading, titles, row errors, all-or-nothing, dry runs) is
``core.tabular``; this module checks rows against the database and the
importing user's scope, and writes. The parsers and ``import_scope`` here are
shared with the exams and training kinds.

- jurisdictions: one node per row, keyed on 行政区划代码; a parent may come
  from the database or from another row of the file.
- enterprises: keyed on 统一社会信用代码. A new enterprise's first status
  holds from the beginning (or from 生效日期). For an existing one, a row is a
  change from 生效日期 (today without one); a status already in force with the
  same values is left unchanged, and a 生效日期 before the latest recorded
  status is refused: the past is never rewritten.
- people: the roster's columns plus 统一社会信用代码, keyed on 身份证号. A
  person already at another enterprise with a later 入职日期 is transferred:
  the open employment ends the day before (or on its recorded end), a new one
  starts. Several rows of one person are taken in 入职日期 order.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import User
from core.spreadsheets import Column, Sheet
from core.tabular import (
    CellError,
    Credential,
    Errors,
    Field,
    ImportKind,
    Plan,
    Row,
    RowRefused,
    choice_parser,
    chunked,
    compact,
    parse_date,
    source_of,
    text,
    text_parser,
)
from organizations import models
from organizations.errors import HistoryRewrite
from organizations.roster import MOBILE, clean_phone, parse_post
from organizations.selectors import enterprise_ids_managed_by, is_platform_admin, jurisdiction_paths_of
from organizations.services import (
    employment_end,
    employment_start,
    enterprise_create,
    enterprise_status_record,
    person_create,
    person_employment_update,
)
from organizations.validators import (
    id_number_lost_to_excel,
    normalize_credit_code,
    normalize_id_number,
    validate_credit_code,
    validate_id_number,
)

Role = models.RoleGrant.Role
_CODE = re.compile(r"^\d{6}(\d{3}){0,2}$")


# --- parsers shared by every kind ------------------------------------------------


def _validated(code: str, validate: Callable[[str], None]) -> str:
    """``code`` once ``validate`` accepts it; its refusal becomes the cell's error."""
    try:
        validate(code)
    except ValidationError as exc:
        raise CellError(" ".join(str(m) for m in exc.messages)) from None
    return code


def parse_credit_code(value: Any) -> str:
    return _validated(normalize_credit_code(compact(value)), validate_credit_code)


def parse_id_number(value: Any) -> str:
    if id_number_lost_to_excel(value):
        # Excel keeps 15 significant digits: an 18-digit number has lost its tail.
        raise CellError(
            _(
                "The ID card number was stored as a number and Excel dropped its last digits; format the column as text and type it again."
            )
        )
    return _validated(normalize_id_number(compact(value)), validate_id_number)


# The columns that name a person and an enterprise, the same in every import that refers to them.
ID_NUMBER_FIELD = Field(
    "id_number",
    "身份证号",
    parse_id_number,
    required=True,
    width=22,
    help=gettext_lazy("18-character resident ID card number; the last character may be X. Keep the column as text."),
)
CREDIT_CODE_FIELD = Field(
    "credit_code",
    "统一社会信用代码",
    parse_credit_code,
    required=True,
    width=22,
    help=gettext_lazy("The enterprise's 18-character unified social credit code, as on its business licence."),
)


def _matching(value: str, pattern: re.Pattern[str], message: str) -> str:
    """``value`` if ``pattern`` matches it; otherwise ``message`` is the cell's error."""
    if not pattern.match(value):
        raise CellError(message)
    return value


def parse_admin_code(value: Any) -> str:
    return _matching(compact(value), _CODE, _("An administrative division code has 6, 9 or 12 digits."))


def parse_yes_no(value: Any) -> bool:
    return choice_parser(
        {"是": True, "否": False, "yes": True, "no": False, "y": True, "n": False, "1": True, "0": False}, "是/否"
    )(value)


def _parse_post(value: Any) -> str:
    post = parse_post(value)
    if post is None:
        raise CellError(
            _("Unknown post “%(value)s”: use 主要负责人, 安全管理人员, 从业人员 or 特种作业人员.")
            % {"value": text(value)[:40]}
        )
    return post


def _parse_phone(value: Any) -> str:
    return _matching(clean_phone(value), MOBILE, _("The mobile phone number must have 11 digits and start with 1."))


def _parse_email(value: Any) -> str:
    email = text(value)
    try:
        validate_email(email)
    except ValidationError:
        raise CellError(_("The email address is not valid.")) from None
    return email


def _parse_population(value: Any) -> int:
    raw = compact(value).replace(",", "")
    if raw.endswith(".0"):
        raw = raw[:-2]
    if not raw.isdigit():
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": raw[:40]})
    return int(raw)


# --- who may import what ----------------------------------------------------------


@dataclass(frozen=True)
class ImportScope:
    """Where a user's imports may write: everything (platform admin, or the operator at the
    command line), the subtrees of their bureau grants, and the enterprises they administer."""

    everything: bool
    paths: tuple[str, ...] = ()
    enterprise_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def reaches_jurisdictions(self) -> bool:
        """Holds a bureau subtree (or everything): may import records kept per jurisdiction."""
        return self.everything or bool(self.paths)

    @property
    def reaches_enterprises(self) -> bool:
        """Holds a bureau subtree or administers an enterprise: may import records kept per enterprise."""
        return self.reaches_jurisdictions or bool(self.enterprise_ids)

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)

    def below(self, path: str) -> bool:
        """Strictly inside a granted subtree: a bureau official adds nodes under their own, not beside it."""
        return self.everything or any(path.startswith(p) and path != p for p in self.paths)

    def covers_enterprise(self, enterprise_id: int | None, path: str) -> bool:
        return self.everything or enterprise_id in self.enterprise_ids or self.covers_path(path)


def import_scope(user: Any) -> ImportScope:
    if user is None or is_platform_admin(user):
        return ImportScope(everything=True)
    return ImportScope(
        everything=False,
        paths=tuple(jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL})),
        enterprise_ids=frozenset(enterprise_ids_managed_by(user)),
    )


def out_of_scope() -> str:
    return _("This record is outside the jurisdictions and enterprises you may import for.")


def enterprises_by_code(codes: set[str]) -> dict[str, models.Enterprise]:
    found: dict[str, models.Enterprise] = {}
    for chunk in chunked(codes):
        for e in models.Enterprise.objects.select_related("jurisdiction", "industry").filter(credit_code__in=chunk):
            found[e.credit_code] = e
    return found


def row_enterprise(
    r: Row, enterprises: dict[str, models.Enterprise], scope: ImportScope, errors: Errors
) -> models.Enterprise | None:
    """The enterprise the row names by its credit code (``enterprises``: from ``enterprises_by_code``)
    when there is one and it lies in ``scope``; otherwise None, and the row's error says why."""
    enterprise = enterprises.get(r["credit_code"])
    if enterprise is None:
        errors.add(r.number, "credit_code", _("No enterprise has this unified social credit code."))
    elif not scope.covers_enterprise(enterprise.pk, enterprise.jurisdiction.path):
        errors.add(r.number, "credit_code", out_of_scope())
        return None
    return enterprise


def people_by_id_number(numbers: set[str]) -> dict[str, models.Person]:
    found: dict[str, models.Person] = {}
    for chunk in chunked(numbers):
        for p in models.Person.objects.select_related(
            "enterprise__jurisdiction", "enterprise__industry", "user"
        ).filter(id_number__in=chunk):
            found[p.id_number] = p
    return found


# --- jurisdictions ---------------------------------------------------------------------

_KIND_CHOICES = {
    "区": models.Jurisdiction.Kind.DISTRICT,
    "县": models.Jurisdiction.Kind.DISTRICT,
    "街道": models.Jurisdiction.Kind.STREET,
    "镇": models.Jurisdiction.Kind.TOWN,
    "乡": models.Jurisdiction.Kind.TOWN,
    "开发区": models.Jurisdiction.Kind.ZONE,
    "市": models.Jurisdiction.Kind.CITY,
    **{k.value: k for k in models.Jurisdiction.Kind},
}


class JurisdictionsImport(ImportKind):
    code = "jurisdictions"
    label = gettext_lazy("Jurisdictions")
    description = gettext_lazy("The administrative tree: districts, streets, towns and development zones.")
    key_fields = ("code",)
    fields = (
        Field(
            "code",
            "行政区划代码",
            parse_admin_code,
            required=True,
            example="110105001",
            width=16,
            help=gettext_lazy("The administrative division code: 6, 9 or 12 digits."),
        ),
        Field("name", "名称", text_parser(100), required=True, example="示例街道", width=20),
        Field(
            "parent_code",
            "上级代码",
            parse_admin_code,
            example="110105",
            width=16,
            help=gettext_lazy("The code of the jurisdiction above it; empty at the top of the tree."),
        ),
        Field(
            "kind",
            "类型",
            choice_parser(_KIND_CHOICES, "区/街道/镇/开发区"),
            example="街道",
            help=gettext_lazy("区, 街道, 镇 or 开发区. Empty: 区 without a parent, 街道 with one."),
        ),
        Field(
            "population",
            "常住人口",
            _parse_population,
            example="120000",
            help=gettext_lazy("Optional: the resident population, for the public first-aid training coverage rate."),
        ),
    )

    def allowed(self, user: Any) -> bool:
        return import_scope(user).reaches_jurisdictions

    def prepare(self, rows: list[Row], *, user: Any, errors: Errors, source: str, today: dt.date) -> Plan:
        scope = import_scope(user)
        codes = {r["code"] for r in rows if r["code"]} | {r["parent_code"] for r in rows if r["parent_code"]}
        existing = {j.code: j for j in models.Jurisdiction.objects.filter(code__in=codes)}
        in_file = {r["code"]: r for r in rows if r["code"]}
        paths: dict[str, str | None] = {}

        def path_of(code: str, seen: frozenset[str] = frozenset()) -> str | None:
            # The path the node will have after the import (None: its parent is unknown or a loop).
            if code in paths:
                return paths[code]
            row = in_file.get(code)
            if row is None:
                found = existing.get(code)
                return found.path if found else None
            if code in seen:
                return None
            parent = row["parent_code"]
            if not parent:
                result: str | None = f"/{code}/"
            else:
                above = path_of(parent, seen | {code})
                result = f"{above}{code}/" if above else None
            paths[code] = result
            return result

        plan = Plan()
        writes: list[Row] = []
        for r in rows:
            if r["code"] is None or r.number in errors.rows():
                continue
            parent = r["parent_code"]
            if parent == r["code"]:
                errors.add(r.number, "parent_code", _("A node cannot be its own parent."))
                continue
            if parent and parent not in in_file and parent not in existing:
                errors.add(r.number, "parent_code", _("Unknown parent code %(code)s.") % {"code": parent})
                continue
            path = path_of(r["code"])
            if path is None:
                errors.add(r.number, "parent_code", _("The parent codes of this file go round in a loop."))
                continue
            current = existing.get(r["code"])
            if not scope.below(path) or (current is not None and not scope.below(current.path)):
                errors.add(r.number, "code", out_of_scope())
                continue
            if current is None:
                plan.created += 1
                writes.append(r)
                continue
            kind = r["kind"] or current.kind
            current_parent = current.parent.code if current.parent_id else None  # type: ignore[union-attr]
            population = r["population"] if r["population"] is not None else current.population
            if (current.name, current.kind, current_parent, current.population) == (
                r["name"],
                kind,
                parent,
                population,
            ):
                plan.unchanged += 1
            else:
                plan.updated += 1
                writes.append(r)

        def apply() -> None:
            # Parents first: a path is built from the parent's.
            nodes = dict(existing)
            for r in sorted(writes, key=lambda r: len(paths[r["code"]] or "")):
                node = nodes.get(r["code"]) or models.Jurisdiction(code=r["code"])
                node.name = r["name"]
                node.parent = nodes.get(r["parent_code"]) if r["parent_code"] else None
                if r["parent_code"] and node.parent is None:
                    node.parent = models.Jurisdiction.objects.get(code=r["parent_code"])
                if r["population"] is not None:
                    node.population = r["population"]
                node.kind = (
                    r["kind"]
                    or node.kind
                    or (models.Jurisdiction.Kind.STREET if node.parent else models.Jurisdiction.Kind.DISTRICT)
                )
                node.save()
                nodes[node.code] = node

        plan.apply = apply
        return plan


# --- enterprises -------------------------------------------------------------------------


class EnterprisesImport(ImportKind):
    code = "enterprises"
    label = gettext_lazy("Enterprises")
    description = gettext_lazy("The enterprise register, and changes of industry, scale or jurisdiction from a date.")
    key_fields = ("credit_code", "valid_from")
    fields = (
        CREDIT_CODE_FIELD,
        Field("name", "企业名称", text_parser(200), required=True, example="示例机械制造有限公司", width=28),
        Field(
            "industry",
            "行业",
            text_parser(100),
            required=True,
            example="机械制造",
            help=gettext_lazy("The industry's name in the catalogue, or its code."),
        ),
        Field("above_scale", "规模以上", parse_yes_no, required=True, example="是", help="是/否"),
        Field(
            "jurisdiction_code",
            "属地代码",
            parse_admin_code,
            required=True,
            example="110105001",
            help=gettext_lazy("The code of the jurisdiction the enterprise belongs to (see the sheet of codes)."),
        ),
        Field(
            "valid_from",
            "生效日期",
            parse_date,
            is_date=True,
            help=gettext_lazy(
                "Empty: a new enterprise holds from the beginning, a change holds from today. A date: the change holds from then on; it may not be before a change already recorded."
            ),
        ),
    )

    def allowed(self, user: Any) -> bool:
        return import_scope(user).reaches_jurisdictions

    def notes(self) -> list[Any]:
        return [
            _("Enterprises are matched by their unified social credit code."),
            _("The sheets after this one list the industries and the jurisdiction codes accepted."),
        ]

    def reference_sheets(self) -> list[Sheet]:
        yes, no = _("yes"), _("no")
        industries = [
            [i.name, i.code, yes if i.is_key else no, yes if i.is_high_risk else no]
            for i in models.Industry.objects.order_by("code")
        ]
        places = [
            [j.code, j.name, j.get_kind_display(), j.parent.code if j.parent else ""]
            for j in models.Jurisdiction.objects.select_related("parent").order_by("path")
        ]
        return [
            Sheet(
                title=_("Industries"),
                columns=[
                    Column(_("Industry (行业)"), width=24),
                    Column(pgettext("catalogue", "Code"), width=28, number_format="@"),
                    Column(_("Key industry"), width=12),
                    Column(_("High-risk"), width=10),
                ],
                rows=industries,
            ),
            Sheet(
                title=_("Jurisdiction codes"),
                columns=[
                    Column(_("Jurisdiction code (属地代码)"), width=24, number_format="@"),
                    Column(pgettext("place", "Name"), width=24),
                    Column(_("Kind"), width=10),
                    Column(_("Parent code"), width=16, number_format="@"),
                ],
                rows=places,
            ),
        ]

    def prepare(self, rows: list[Row], *, user: Any, errors: Errors, source: str, today: dt.date) -> Plan:
        scope = import_scope(user)
        industries: dict[str, models.Industry] = {}
        for industry in models.Industry.objects.all():
            industries[industry.code.lower()] = industry
            industries[industry.name] = industry
        places = {
            j.code: j
            for j in models.Jurisdiction.objects.filter(
                code__in={r["jurisdiction_code"] for r in rows if r["jurisdiction_code"]}
            )
        }
        existing = enterprises_by_code({r["credit_code"] for r in rows if r["credit_code"]})
        statuses: dict[int, list[models.EnterpriseStatus]] = defaultdict(list)
        for chunk in chunked([e.pk for e in existing.values()]):
            for s in models.EnterpriseStatus.objects.filter(enterprise_id__in=chunk).order_by("valid_from"):
                statuses[s.enterprise_id].append(s)

        for r in rows:
            if r["industry"] is not None:
                industry = industries.get(r["industry"]) or industries.get(r["industry"].lower())
                if industry is None:
                    errors.add(
                        r.number,
                        "industry",
                        _("Unknown industry “%(value)s”: use a name or code of the industry catalogue.")
                        % {"value": r["industry"][:40]},
                    )
                r.values["industry"] = industry
            if r["jurisdiction_code"] is not None:
                place = places.get(r["jurisdiction_code"])
                if place is None:
                    errors.add(
                        r.number,
                        "jurisdiction_code",
                        _("Unknown jurisdiction code %(code)s.") % {"code": r["jurisdiction_code"]},
                    )
                r.values["jurisdiction"] = place

        plan = Plan()
        creates: list[list[Row]] = []
        changes: list[tuple[models.Enterprise, Row, dt.date]] = []
        renames: dict[int, str] = {}
        by_code: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            if r["credit_code"] and r.number not in errors.rows():
                by_code[r["credit_code"]].append(r)
        for code, group in by_code.items():
            enterprise = existing.get(code)
            if any(not scope.covers_path(r["jurisdiction"].path) for r in group) or (
                enterprise is not None and not scope.covers_path(enterprise.jurisdiction.path)
            ):
                for r in group:
                    errors.add(r.number, "credit_code", out_of_scope())
                continue
            if enterprise is None:
                group.sort(key=lambda r: r["valid_from"] or models.BEGINNING)
                plan.created += 1
                plan.updated += len(group) - 1
                creates.append(group)
                continue
            # Existing: each row is a status from its date, checked against what is recorded.
            recorded = statuses[enterprise.pk]
            latest = recorded[-1].valid_from if recorded else models.BEGINNING
            group.sort(key=lambda r: r["valid_from"] or today)
            touched = False
            for r in group:
                day = r["valid_from"] or today
                same_day = next((s for s in recorded if s.valid_from == day), None)
                holding = same_day or next((s for s in reversed(recorded) if s.valid_from <= day), None)
                same = holding is not None and _same_status(holding, r)
                if same:
                    continue
                if day < latest or (day == latest and day < today):  # a same-day correction is allowed
                    errors.add(
                        r.number,
                        "valid_from",
                        _(
                            "A status from %(date)s is already recorded for this enterprise; a change must hold from a later date (the past is not rewritten)."
                        )
                        % {"date": latest.isoformat()},
                    )
                    touched = True
                    continue
                changes.append((enterprise, r, day))
                latest = day
                touched = True
            last = group[-1]
            if last["name"] != enterprise.name:
                renames[enterprise.pk] = last["name"]
                touched = True
            if touched:
                plan.updated += 1
            else:
                plan.unchanged += 1

        def apply() -> None:
            for group in creates:
                first = group[0]
                enterprise = enterprise_create(
                    name=group[-1]["name"],
                    credit_code=first["credit_code"],
                    industry=first["industry"],
                    above_scale=first["above_scale"],
                    jurisdiction=first["jurisdiction"],
                    valid_from=first["valid_from"],
                    user=user,
                    source=source_of(source, first.number),
                )
                for r in group[1:]:
                    _status_record(enterprise, r, r["valid_from"], user, source, today)
            for enterprise, r, day in changes:
                _status_record(enterprise, r, day, user, source, today)
            for pk, name in renames.items():
                models.Enterprise.objects.filter(pk=pk).update(name=name)

        plan.apply = apply
        return plan


def _same_status(status: models.EnterpriseStatus, r: Row) -> bool:
    return (
        status.industry_id == r["industry"].pk
        and status.above_scale == r["above_scale"]
        and status.jurisdiction_id == r["jurisdiction"].pk
    )


@contextlib.contextmanager
def _history_refused_on_row(number: int, column: str) -> Iterator[None]:
    """prepare() checked the dates: history recorded meanwhile is refused here, on the row (in the
    column the refusal names, else ``column``), and the refusal undoes the import."""
    try:
        yield
    except HistoryRewrite as exc:
        raise RowRefused(number, exc.details.get("field") or column, exc.message) from None


def _status_record(enterprise: models.Enterprise, r: Row, day: dt.date, user: Any, source: str, today: dt.date) -> None:
    with _history_refused_on_row(r.number, "valid_from"):
        enterprise_status_record(
            enterprise=enterprise,
            valid_from=day,
            industry=r["industry"],
            above_scale=r["above_scale"],
            jurisdiction=r["jurisdiction"],
            user=user,
            source=source_of(source, r.number),
            today=today,
        )


# --- people ----------------------------------------------------------------------------------


@dataclass
class _Job:
    """An employment as it will be after the import (pk None: new)."""

    enterprise: models.Enterprise
    post: str
    start: dt.date
    end: dt.date | None
    pk: int | None = None
    row: int = 0
    dirty: bool = False


@dataclass
class _PersonPlan:
    person: models.Person | None
    rows: list[Row]
    jobs: list[_Job]
    fields: dict[str, Any] = field(default_factory=dict)  # the current row's person fields
    enterprise: models.Enterprise | None = None
    changed: bool = False
    phone: str | None = None
    email: str | None = None
    # A row at the person's current enterprise: the roster's semantics (person_employment_update).
    roster_row: Row | None = None


class PeopleImport(ImportKind):
    code = "people"
    label = gettext_lazy("People")
    description = gettext_lazy(
        "Employees across many enterprises, as the roster import, plus the enterprise's credit code; a later hire date at another enterprise is a transfer."
    )
    key_fields = ("id_number", "hire_date")
    fields = (
        Field("name", "姓名", text_parser(64), required=True, example="张三", width=12),
        ID_NUMBER_FIELD,
        CREDIT_CODE_FIELD,
        Field(
            "post",
            "岗位",
            _parse_post,
            required=True,
            example="从业人员",
            help="主要负责人/安全管理人员/从业人员/特种作业人员",
        ),
        Field("department", "部门", text_parser(100), example="生产部", help=gettext_lazy("Department or workshop.")),
        Field("hire_date", "入职日期", parse_date, required=True, example="2026-01-05", is_date=True),
        Field(
            "leave_date",
            "离职日期",
            parse_date,
            is_date=True,
            help=gettext_lazy("Empty while the person works there."),
        ),
        Field(
            "phone",
            "手机号",
            _parse_phone,
            width=15,
            help=gettext_lazy(
                "11-digit mainland mobile number; the person can sign in with it. Not shared with another account."
            ),
        ),
        Field("email", "邮箱", _parse_email, width=24, help=gettext_lazy("Optional; the person can sign in with it.")),
    )

    def allowed(self, user: Any) -> bool:
        return import_scope(user).reaches_enterprises

    def notes(self) -> list[Any]:
        return [
            _("People are matched by ID card number. New people get an account with a one-time password."),
            _(
                "A person already at another enterprise with a later 入职日期 is a transfer: the earlier employment ends the day before, unless a 离职日期 says otherwise."
            ),
        ]

    def prepare(self, rows: list[Row], *, user: Any, errors: Errors, source: str, today: dt.date) -> Plan:
        scope = import_scope(user)
        enterprises = enterprises_by_code({r["credit_code"] for r in rows if r["credit_code"]})
        for r in rows:
            if r["credit_code"]:
                row_enterprise(r, enterprises, scope, errors)
            if r["hire_date"] and r["leave_date"] and r["leave_date"] < r["hire_date"]:
                errors.add(r.number, "leave_date", _("The leave date is before the hire date."))
        people = people_by_id_number({r["id_number"] for r in rows if r["id_number"]})
        jobs: dict[int, list[_Job]] = defaultdict(list)
        for chunk in chunked([p.pk for p in people.values()]):
            for e in models.Employment.objects.select_related("enterprise__jurisdiction").filter(person_id__in=chunk):
                jobs[e.person_id].append(_Job(e.enterprise, e.post, e.start_date, e.end_date, pk=e.pk))
        self._check_logins(rows, people, errors)

        plans: list[_PersonPlan] = []
        by_person: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            if r["id_number"]:
                by_person[r["id_number"]].append(r)
        for id_number, group in by_person.items():
            if any(r.number in errors.rows() for r in group):
                continue
            group.sort(key=lambda r: r["hire_date"])
            person = people.get(id_number)
            plan = _PersonPlan(person, group, sorted(jobs[person.pk], key=lambda j: j.start) if person else [])
            if person is not None and not plan.jobs:
                # Added to a roster without an employment (before the history existed): record the one they have.
                plan.jobs.append(
                    _Job(
                        person.enterprise,
                        person.post,
                        person.hire_date,
                        person.leave_date,
                        row=group[0].number,
                        dirty=True,
                    )
                )
                plan.changed = True
            if self._plan_person(plan, enterprises, scope, errors, "leave_date" in errors.titles):
                plans.append(plan)

        result = Plan()
        for p in plans:
            if p.person is None:
                result.created += 1
            elif p.changed:
                result.updated += 1
            else:
                result.unchanged += 1

        def apply() -> None:
            for p in plans:
                if p.person is None or p.changed:
                    _write_person(p, source, result.credentials, today)

        result.apply = apply
        return result

    def _plan_person(
        self,
        plan: _PersonPlan,
        enterprises: dict[str, models.Enterprise],
        scope: ImportScope,
        errors: Errors,
        leave_column: bool,
    ) -> bool:
        person = plan.person
        for r in plan.rows:
            enterprise = enterprises[r["credit_code"]]
            hire, leave = r["hire_date"], r["leave_date"]
            if (
                person is not None
                and r is plan.rows[-1]
                and enterprise.pk == person.enterprise_id
                and (not plan.jobs or plan.jobs[-1].enterprise.pk == enterprise.pk)
            ):
                # The person as they are now at their current enterprise: as the roster import does it.
                if not leave_column:
                    r.values["leave_date"] = person.leave_date
                plan.roster_row = r
                plan.enterprise = enterprise
                plan.fields = {
                    "name": r["name"],
                    **({"department": r["department"]} if r["department"] is not None else {}),
                }
                plan.phone, plan.email = r["phone"], r["email"]
                if (person.post, person.hire_date, person.leave_date) != (r["post"], hire, r["leave_date"]):
                    plan.changed = True
                break
            same = next((j for j in plan.jobs if j.enterprise.pk == enterprise.pk and j.start == hire), None)
            if same is not None:
                if same.post != r["post"] or (leave is not None and same.end != leave):
                    same.post = r["post"]
                    same.end = leave if leave is not None else same.end
                    same.dirty = plan.changed = True
                job = same
            elif not plan.jobs or hire > plan.jobs[-1].start:
                last = plan.jobs[-1] if plan.jobs else None
                if last is not None:
                    if not scope.covers_enterprise(last.enterprise.pk, last.enterprise.jurisdiction.path):
                        # The other enterprise is not named: it is not this importer's business.
                        errors.add(
                            r.number,
                            "id_number",
                            _(
                                "This person is on the roster of an enterprise outside your scope; they cannot be transferred from here."
                            ),
                        )
                        return False
                    if last.end is None:
                        last.end = hire - dt.timedelta(days=1)
                        last.dirty = True
                    elif last.end >= hire:
                        errors.add(
                            r.number,
                            "hire_date",
                            _("This person's employment recorded until %(date)s overlaps this hire date.")
                            % {"date": last.end.isoformat()},
                        )
                        return False
                job = _Job(enterprise, r["post"], hire, leave, row=r.number, dirty=True)
                plan.jobs.append(job)
                plan.changed = True
            else:
                later = next(j for j in plan.jobs if j.start >= hire)
                if leave is None or leave >= later.start:
                    errors.add(
                        r.number,
                        "hire_date",
                        _(
                            "This person has a later employment from %(date)s; a row for an earlier one needs a leave date before it."
                        )
                        % {"date": later.start.isoformat()},
                    )
                    return False
                job = _Job(enterprise, r["post"], hire, leave, row=r.number, dirty=True)
                plan.jobs.append(job)
                plan.jobs.sort(key=lambda j: j.start)
                plan.changed = True
            if job is plan.jobs[-1]:
                plan.enterprise = enterprise
                plan.fields = {
                    "name": r["name"],
                    "post": r["post"],
                    "hire_date": hire,
                    "leave_date": job.end,
                    **({"department": r["department"]} if r["department"] is not None else {}),
                }
                plan.phone, plan.email = r["phone"], r["email"]
        if person is not None:
            if person.enterprise_id != plan.enterprise.pk:  # type: ignore[union-attr]
                plan.changed = True
            if any(getattr(person, k) != v for k, v in plan.fields.items()):
                plan.changed = True
            phone, email = plan.phone, plan.email
            if (phone and person.user.phone != phone) or (email and person.user.email != email):
                plan.changed = True
        return True

    def _check_logins(self, rows: list[Row], people: dict[str, models.Person], errors: Errors) -> None:
        """A phone or email already used by another account is refused (they are sign-in names)."""
        own = {n: p.user_id for n, p in people.items()}
        phones = {r["phone"] for r in rows if r["phone"]}
        phone_users = dict(User.objects.filter(phone__in=phones).values_list("phone", "pk")) if phones else {}
        emails = {r["email"].lower() for r in rows if r["email"]}
        email_users: dict[str, set[int]] = defaultdict(set)
        if emails:
            for email, pk in (
                User.objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails)
                .values_list("email_lower", "pk")
            ):
                email_users[email].add(pk)
        seen_phone: dict[str, str] = {}
        for r in rows:
            mine = own.get(r["id_number"])
            if r["phone"]:
                if (
                    phone_users.get(r["phone"], mine) != mine
                    or seen_phone.setdefault(r["phone"], r["id_number"]) != r["id_number"]
                ):
                    errors.add(r.number, "phone", _("This mobile phone number is already used by another account."))
            if r["email"] and email_users.get(r["email"].lower(), {mine}) - {mine}:
                errors.add(r.number, "email", _("This email address is already used by another account."))


def _write_person(plan: _PersonPlan, source: str, credentials: list[Credential], today: dt.date) -> None:
    """Write one person's plan through the history services: ``person_create`` for the first
    employment of someone new, ``employment_start`` for each later one (a transfer ends the
    one before), ``employment_end`` for the current one's end (it also brings the person's
    current columns in line). An earlier employment slotted in before the latest one, or a
    changed end of a past one, is history the services do not write: it is written here."""
    phone, email = plan.phone, plan.email
    person = plan.person
    jobs = plan.jobs
    if person is None:
        first, jobs = jobs[0], jobs[1:]
        person, password = person_create(
            enterprise=first.enterprise,
            name=plan.fields["name"],
            id_number=plan.rows[0]["id_number"],
            hire_date=first.start,
            post=first.post,
            department=plan.fields.get("department") or "",
            phone=phone or None,
            email=email or "",
            leave_date=first.end,
            source=source_of(source, first.row),
        )
        assert password is not None
        credentials.append(Credential(plan.rows[-1].number, person.name, person.user.username, password))
        latest = first.start
    else:
        if not models.Employment.objects.filter(person=person).exists():
            # From before the history: the employment planned from the current columns is recorded as it stands.
            jobs[0].pk = models.Employment.objects.create(
                person=person,
                enterprise=jobs[0].enterprise,
                post=jobs[0].post,
                start_date=jobs[0].start,
                end_date=jobs[0].end,
                source=source_of(source, jobs[0].row),
            ).pk
        latest = max(j.start for j in jobs if j.pk is not None)
        for job in jobs:
            if job.pk is not None and job.dirty:
                models.Employment.objects.filter(pk=job.pk).update(post=job.post, end_date=job.end)
    for job in jobs:
        if job.pk is not None:
            continue
        # A job after the latest recorded one goes through the service (it closes the current one);
        # an earlier one is history the file fills in, recorded as it stands.
        write: Callable[..., object] = employment_start if job.start > latest else models.Employment.objects.create
        write(
            person=person,
            enterprise=job.enterprise,
            post=job.post,
            start_date=job.start,
            end_date=job.end,
            source=source_of(source, job.row),
        )
        latest = max(latest, job.start)
    person.refresh_from_db()
    row = plan.roster_row
    with _history_refused_on_row((row or plan.rows[-1]).number, "hire_date"):
        if row is not None:
            person_employment_update(
                person=person,
                post=row["post"],
                hire_date=row["hire_date"],
                leave_date=row["leave_date"],
                today=today,
                source=source_of(source, row.number),
            )
        else:
            employment_end(person=person, end_date=plan.jobs[-1].end)
    person.refresh_from_db()
    identity = {"name": plan.fields["name"]}
    if "department" in plan.fields:
        identity["department"] = plan.fields["department"]
    if any(getattr(person, k) != v for k, v in identity.items()):
        for k, v in identity.items():
            setattr(person, k, v)
        person.save(update_fields=[*identity, "updated_at"])
    user_fields = {k: v for k, v in (("phone", phone), ("email", email), ("display_name", person.name)) if v}
    if any(getattr(person.user, k) != v for k, v in user_fields.items()):
        for k, v in user_fields.items():
            setattr(person.user, k, v)
        person.user.save(update_fields=list(user_fields))
