"""``import_data training``: classroom (offline) or earlier training, credited to the 学时 ledger.

Each row appends one auditable ``CreditLedger`` entry: no lesson, the
enterprise of 统一社会信用代码, purpose onboarding (岗前) or annual (年度再培训),
``seconds`` = 学时 × the minutes of a 学时 (the requirement profile of the
person's post and the enterprise's industry risk, or
``settings.MINUTES_PER_CREDIT_HOUR``) × 60, from local midnight of 培训日期,
``assessment_passed`` from 考核结果, ``method=import``, ``source`` "file row N"
and the importing user.

Idempotency: the ledger is append-only, so a row is recognised by its natural
key (person, enterprise, purpose, 培训日期, seconds, source file name). A
re-import of the same file finds every row and writes nothing; the same
training in a file of another name is a new entry.

The person must work, or have worked, at that enterprise (an employment
there). The answer is the same whether the ID number is unknown or belongs to
someone elsewhere, so an enterprise admin learns nothing about outsiders.

Built for volume (100k rows): lookups are one query per 2,000 keys into
dicts and sets, each distinct cell is parsed once (``core.tabular``), and the
entries go in with ``core.db.insert_rows`` (COPY on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.db import insert_rows
from core.tabular import (
    Errors,
    Field,
    ImportKind,
    Plan,
    Row,
    choice_parser,
    chunked,
    parse_date,
    parse_positive_decimal,
    source_of,
)
from organizations.imports import CREDIT_CODE_FIELD, ID_NUMBER_FIELD, enterprises_by_code, import_scope, row_enterprise
from organizations.models import Employment, Person
from training.models import CreditLedger, RequirementProfile

Purpose = CreditLedger.Purpose
_PURPOSES = {
    "岗前": Purpose.ONBOARDING,
    "岗前培训": Purpose.ONBOARDING,
    "新员工岗前培训": Purpose.ONBOARDING,
    "年度再培训": Purpose.ANNUAL,
    "再培训": Purpose.ANNUAL,
    "年度": Purpose.ANNUAL,
    "onboarding": Purpose.ONBOARDING,
    "annual": Purpose.ANNUAL,
}
_RESULTS = {"合格": True, "不合格": False, "通过": True, "未通过": False, "passed": True, "failed": False}
# The ledger row an import writes (core.db.insert_rows: bulk_create's per-field preparation was most of the time).
_COLUMNS = (
    "learner_id",
    "lesson_id",
    "started_at",
    "ended_at",
    "seconds",
    "method",
    "detail",
    "post",
    "enterprise_id",
    "purpose",
    "assessment_passed",
    "source",
    "imported_by_id",
    "recorded_at",
)


class TrainingImport(ImportKind):
    code = "training"
    label = gettext_lazy("Training records")
    description = gettext_lazy("Classroom or earlier training, credited to the credit-hour ledger with its source.")
    key_fields = ("id_number", "credit_code", "purpose", "date", "hours")
    fields = (
        ID_NUMBER_FIELD,
        CREDIT_CODE_FIELD,
        Field(
            "purpose",
            "培训类别",
            choice_parser(_PURPOSES, "岗前/年度再培训"),
            required=True,
            example="岗前",
            help="岗前/年度再培训",
        ),
        Field(
            "hours",
            "学时",
            parse_positive_decimal,
            required=True,
            example="24",
            help=gettext_lazy(
                "Credit hours (学时), a positive number; a 学时 is 45 minutes unless the profile says otherwise."
            ),
        ),
        Field("date", "培训日期", parse_date, required=True, example="2026-01-05", is_date=True),
        Field("passed", "考核结果", choice_parser(_RESULTS, "合格/不合格"), example="合格", help="合格/不合格"),
    )

    def allowed(self, user: Any) -> bool:
        return import_scope(user).reaches_enterprises

    def notes(self) -> list[Any]:
        return [
            _("The person must be on the enterprise's roster: import the people first."),
            _(
                "A row already imported (same person, enterprise, kind, date and hours), from this file or from another, is not credited twice."
            ),
        ]

    def prepare(self, rows: list[Row], *, user: Any, errors: Errors, source: str, today: dt.date) -> Plan:
        scope = import_scope(user)
        enterprises = enterprises_by_code({r["credit_code"] for r in rows if r["credit_code"]})
        people: dict[str, tuple[int, int, str]] = {}  # id number -> person id, user id, post
        for chunk in chunked({r["id_number"] for r in rows if r["id_number"]}):
            for pk, number, user_id, post in Person.objects.filter(id_number__in=chunk).values_list(
                "pk", "id_number", "user_id", "post"
            ):
                people[number] = (pk, user_id, post)
        employed: set[tuple[int, int]] = set()
        enterprise_ids = [e.pk for e in enterprises.values()]
        for chunk in chunked([p[0] for p in people.values()]):
            employed.update(
                Employment.objects.filter(person_id__in=chunk, enterprise_id__in=enterprise_ids).values_list(
                    "person_id", "enterprise_id"
                )
            )
            employed.update(
                Person.objects.filter(pk__in=chunk, enterprise_id__in=enterprise_ids).values_list("pk", "enterprise_id")
            )
        minutes = {
            (p.high_risk, p.post): p.minutes_per_hour or settings.MINUTES_PER_CREDIT_HOUR
            for p in RequirementProfile.objects.all()
        }
        # Every record already imported, from any file: a renamed copy (“t (1).xlsx”) or the same
        # records saved as csv must not credit them twice. Within a file the same record twice is an
        # error (``key_fields``); across files it is the same record, and is left as it is.
        # By learner: the ledger's (learner, …) indexes find them without reading every heartbeat row.
        done: set[tuple[int, int | None, str, dt.datetime, int]] = set()
        for chunk in chunked([p[1] for p in people.values()]):
            done.update(
                CreditLedger.objects.filter(learner_id__in=chunk, method=CreditLedger.Method.IMPORT).values_list(
                    "learner_id", "enterprise_id", "purpose", "started_at", "seconds"
                )
            )
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        importer = user.pk if user is not None else None

        plan = Plan()
        entries: list[tuple[Any, ...]] = []
        details: dict[Decimal, str] = {}
        now = timezone.now()
        for r in rows:
            if r.number in errors.rows():
                continue
            enterprise = row_enterprise(r, enterprises, scope, errors)
            if enterprise is None:
                continue
            person = people.get(r["id_number"])
            if person is None or (person[0], enterprise.pk) not in employed:
                errors.add(
                    r.number, "id_number", _("No person with this ID card number works or worked at this enterprise.")
                )
                continue
            person_id, user_id, post = person
            per_hour = minutes.get((enterprise.industry.is_high_risk, post), settings.MINUTES_PER_CREDIT_HOUR)
            seconds = int((r["hours"] * per_hour * 60).to_integral_value(rounding=ROUND_HALF_UP))
            started = dt.datetime.combine(r["date"], dt.time(0), tzinfo=zone)
            key = (user_id, enterprise.pk, r["purpose"], started, seconds)
            if key in done:
                plan.unchanged += 1
                continue
            done.add(key)
            plan.created += 1
            if r["hours"] not in details:
                details[r["hours"]] = _("Imported: %(hours)s credit hours") % {"hours": _hours(r["hours"])}
            entries.append(
                (
                    user_id,
                    None,
                    started,
                    started + dt.timedelta(seconds=seconds),
                    seconds,
                    CreditLedger.Method.IMPORT,
                    details[r["hours"]],
                    post,
                    enterprise.pk,
                    r["purpose"],
                    r["passed"],
                    source_of(source, r.number),
                    importer,
                    now,
                )
            )

        def apply() -> None:
            insert_rows(CreditLedger, _COLUMNS, entries)

        plan.apply = apply
        return plan


def _hours(value: Decimal) -> str:
    return format(value.normalize(), "f")
