"""``import_data certificates``: certificates issued outside the platform (特种作业操作证 and others).

A row creates a ``Certificate`` marked ``imported``, with the holder's
snapshots as a platform certificate has them (name, masked ID number, current
enterprise), its source (file and row) and the importing user. It counts
exactly as a platform certificate does. Keyed on 证书编号: a re-import leaves
an identical certificate unchanged and records a later revocation as an
update. A number held by a platform-issued certificate, or by another
holder's, is refused. The holder must already be on a roster (import people
first).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import tabular
from core.tabular import Field, choice_parser, parse_date, text_parser
from exams.models import Certificate, CertificateType
from exams.services.certificates import holder_fields
from organizations.imports import ID_NUMBER_FIELD, import_scope, out_of_scope, people_by_id_number

_TYPES = {
    "主要负责人": CertificateType.PRINCIPAL,
    "安全管理人员": CertificateType.SAFETY_MANAGER,
    "安全生产管理人员": CertificateType.SAFETY_MANAGER,
    "特种作业操作证": CertificateType.SPECIAL_OPERATOR,
    "特种作业": CertificateType.SPECIAL_OPERATOR,
    "新员工岗前培训": CertificateType.NEW_EMPLOYEE,
    "岗前培训": CertificateType.NEW_EMPLOYEE,
    **{t.value: t for t in CertificateType},
}
_STATUSES = {"有效": Certificate.Status.VALID, "已撤销": Certificate.Status.REVOKED, "撤销": Certificate.Status.REVOKED}
_STATUSES |= {s.value: s for s in Certificate.Status}
_COMPARED = ("cert_type", "issued_on", "valid_until", "operation_category", "issuer_name", "status", "revoked_at")


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0)))


class CertificatesImport(tabular.ImportKind):
    code = "certificates"
    label = gettext_lazy("Certificates")
    description = gettext_lazy(
        "Certificates issued outside the platform: principals', safety managers', special operations and pre-job training certificates."
    )
    key_fields = ("number",)
    fields = (
        ID_NUMBER_FIELD,
        Field(
            "cert_type",
            "证书类型",
            choice_parser(_TYPES, "主要负责人/安全管理人员/特种作业操作证/新员工岗前培训"),
            required=True,
            example="特种作业操作证",
            width=18,
            help="主要负责人/安全管理人员/特种作业操作证/新员工岗前培训",
        ),
        Field(
            "number",
            "证书编号",
            text_parser(32),
            required=True,
            example="T110105199001011234",
            width=22,
            help=gettext_lazy("The number printed on the certificate."),
        ),
        Field("issued_on", "发证日期", parse_date, required=True, example="2025-03-01", is_date=True),
        Field("valid_until", "有效期至", parse_date, required=True, example="2031-03-01", is_date=True),
        Field(
            "operation_category",
            "作业类别",
            text_parser(100),
            example="电工作业",
            help=gettext_lazy("For a 特种作业操作证: the operation category printed on it, such as 电工作业."),
        ),
        Field("issuer_name", "发证机关", text_parser(200), aliases=("issuer",), example="北京市应急管理局", width=20),
        Field("status", "状态", choice_parser(_STATUSES, "有效/已撤销"), example="有效", help="有效/已撤销"),
        Field(
            "revoked_on",
            "撤销日期",
            parse_date,
            is_date=True,
            help=gettext_lazy("Required when the status is 已撤销."),
        ),
    )

    def allowed(self, user: Any) -> bool:
        return import_scope(user).reaches_jurisdictions

    def notes(self) -> list[Any]:
        return [_("The holder must already be on a roster: import the people first.")]

    def prepare(
        self, rows: list[tabular.Row], *, user: Any, errors: tabular.Errors, source: str, today: dt.date
    ) -> tabular.Plan:
        scope = import_scope(user)
        for r in rows:
            if r["issued_on"] and r["valid_until"] and r["valid_until"] <= r["issued_on"]:
                errors.add(r.number, "valid_until", _("The expiry date must be after the issue date."))
            if r["status"] == Certificate.Status.REVOKED and r["revoked_on"] is None:
                errors.add(r.number, "revoked_on", _("A revoked certificate needs its revocation date."))
            if r["revoked_on"] is not None and r["status"] != Certificate.Status.REVOKED:
                errors.add(r.number, "status", _("A revocation date is given, so the status must be 已撤销."))
            if r["revoked_on"] and r["issued_on"] and r["revoked_on"] < r["issued_on"]:
                errors.add(r.number, "revoked_on", _("The revocation date is before the issue date."))
        people = people_by_id_number({r["id_number"] for r in rows if r["id_number"]})
        existing: dict[str, Certificate] = {}
        for chunk in tabular.chunked({r["number"] for r in rows if r["number"]}):
            existing.update((c.number, c) for c in Certificate.objects.filter(number__in=chunk))

        plan = tabular.Plan()
        creates: list[Certificate] = []
        updates: list[tuple[Certificate, dict[str, Any]]] = []
        for r in rows:
            if r.number in errors.rows():
                continue
            person = people.get(r["id_number"])
            if person is None:
                errors.add(
                    r.number,
                    "id_number",
                    _("No person with this ID card number is on a roster; import the people first."),
                )
                continue
            if not scope.covers_enterprise(person.enterprise_id, person.enterprise.jurisdiction.path):
                errors.add(r.number, "id_number", out_of_scope())
                continue
            values = {
                "cert_type": r["cert_type"],
                "issued_on": r["issued_on"],
                "valid_until": r["valid_until"],
                "operation_category": r["operation_category"] or "",
                "issuer_name": r["issuer_name"] or "",
                "status": r["status"] or Certificate.Status.VALID,
                "revoked_at": _midnight(r["revoked_on"]) if r["revoked_on"] else None,
            }
            current = existing.get(r["number"])
            if current is None:
                plan.created += 1
                creates.append(
                    Certificate(
                        number=r["number"],
                        **holder_fields(person),
                        imported=True,
                        source=tabular.source_of(source, r.number),
                        imported_by=user,
                        **values,
                    )
                )
                continue
            if not current.imported:
                errors.add(r.number, "number", _("This number belongs to a certificate issued on the platform."))
                continue
            if current.holder_id != person.pk:
                errors.add(r.number, "number", _("This certificate number is already recorded for another person."))
                continue
            changes = {k: v for k, v in values.items() if getattr(current, k) != v}
            if changes:
                plan.updated += 1
                updates.append((current, changes))
            else:
                plan.unchanged += 1

        def apply() -> None:
            Certificate.objects.bulk_create(creates, batch_size=2000)
            for certificate, changes in updates:
                Certificate.objects.filter(pk=certificate.pk).update(**changes)

        plan.apply = apply
        return plan
