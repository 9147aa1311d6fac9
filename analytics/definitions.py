"""The indicators, exactly: one class each, its docstring the definition.

The period is ``[from, to]`` inclusive; ``as_of`` is ``to``, or today when
``to`` is in the future. Scope is judged by the enterprise status in force on
each subject's reference date. A zero denominator gives a rate of ``None``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.indicators import (
    Indicator,
    Param,
    PersonLine,
    Query,
    in_scope,
    industry_ids,
    register,
    status_in_force,
)
from exams.models import Attempt, Certificate, CertificateType
from organizations.models import Employment, Person
from training.models import CreditLedger, RequirementProfile

Post = Person.Post


def _certificates_valid_on(query: Query) -> QuerySet[Certificate]:
    """Certificates issued on or before ``as_of``, valid until ``as_of`` or
    later, and not revoked on or before ``as_of``."""
    as_of = query.as_of
    return Certificate.objects.filter(issued_on__lte=as_of, valid_until__gte=as_of).exclude(
        status=Certificate.Status.REVOKED, revoked_at__date__lte=as_of
    )


PERSON_VALUES = ("person_id", "person__name", "person__id_number", "enterprise__credit_code", "enterprise__name")


def _lines(rows: Iterable[dict[str, Any]], reason: Any) -> list[PersonLine]:
    """Format the people list (the only loop over rows: the figures are counted in SQL)."""
    return [
        PersonLine(
            person_id=r["person_id"],
            name=r["person__name"],
            id_number=r["person__id_number"],
            credit_code=r["enterprise__credit_code"] or "",
            enterprise_name=r["enterprise__name"] or "",
            status="counted" if r["counted"] else "missing",
            reason="" if r["counted"] else reason(r),
        )
        for r in rows
    ]


def _only(rows: QuerySet[Any], status: str | None) -> QuerySet[Any]:
    if status == "counted":
        return rows.filter(counted=True)
    if status == "missing":
        return rows.filter(counted=False)
    return rows


def _hours(seconds: float, hour_seconds: float) -> str:
    """学时 rounded up to one decimal (a shortfall is never shown smaller than it is)."""
    value = math.ceil(seconds * 10 / hour_seconds) / 10 if hour_seconds else 0
    return f"{value:g}"


def _profile_cases(hours_field: str, high_ids: list[int]) -> dict[str, Case]:
    """``required_seconds`` and ``hour_seconds`` of each subject, from the
    requirement profile of its ``post`` and of the risk of ``st_industry_id``:
    a CASE over the few profile rows, so no join per subject. A post without a
    profile requires nothing."""
    default = settings.MINUTES_PER_CREDIT_HOUR
    required, per_hour = [], []
    for p in RequirementProfile.objects.all():
        risk = Q(st_industry_id__in=high_ids) if p.high_risk else ~Q(st_industry_id__in=high_ids)
        minutes = p.minutes_per_hour or default
        required.append(When(Q(post=p.post) & risk, then=Value(getattr(p, hours_field) * minutes * 60)))
        per_hour.append(When(Q(post=p.post) & risk, then=Value(minutes * 60)))
    return {
        "required_seconds": Case(*required, default=Value(0), output_field=IntegerField()),
        "hour_seconds": Case(*per_hour, default=Value(default * 60), output_field=IntegerField()),
    }


def _valid_certificates_on(day: Any) -> QuerySet[Certificate]:
    """Certificates valid on ``day`` (a date or an ``OuterRef``): issued on or
    before it, valid until it or later, not revoked on or before it."""
    return Certificate.objects.filter(issued_on__lte=day, valid_until__gte=day).exclude(
        status=Certificate.Status.REVOKED, revoked_at__date__lte=day
    )


class _HolderRate(Indicator):
    """Shared by the certificate-holding indicators: ``posts`` maps each post
    counted to the certificate type it must hold."""

    posts: ClassVar[dict[str, str]]
    params = (Param("expiring_days", 90, gettext_lazy("expiring within (days)"), minimum=0, maximum=3650),)

    def _employments(self, query: Query) -> QuerySet[Employment]:
        as_of = query.as_of
        wanted = Case(
            *(When(post=post, then=Value(cert)) for post, cert in self.posts.items()), output_field=CharField()
        )
        qs = (
            Employment.objects.filter(post__in=list(self.posts), start_date__lte=as_of)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=as_of))
            .annotate(**status_in_force("enterprise_id", as_of), ref_date=Value(as_of, output_field=DateField()))
            .annotate(wanted=wanted)
        )
        return in_scope(qs, query)

    def subjects(self, query: Query) -> QuerySet[Any]:
        valid = _certificates_valid_on(query).filter(holder=OuterRef("person_id"), cert_type=OuterRef("wanted"))
        return self._employments(query).annotate(counted=Exists(valid))

    def extras(self, query: Query, subjects: QuerySet[Any]) -> dict[str, Any]:
        horizon = query.as_of + dt.timedelta(days=query.param("expiring_days"))
        longest = (
            _certificates_valid_on(query)
            .filter(holder=OuterRef("person_id"), cert_type=OuterRef("wanted"))
            .order_by("-valid_until")
            .values("valid_until")[:1]
        )
        expiring = subjects.filter(counted=True).annotate(until=Subquery(longest)).filter(until__lte=horizon)
        return {"expiring": expiring.count(), "expiring_days": query.param("expiring_days")}

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        as_of = query.as_of
        same_type = Certificate.objects.filter(holder=OuterRef("person_id"), cert_type=OuterRef("wanted"))
        rows = (
            self.subjects(query)
            .annotate(
                last_expiry=Subquery(
                    same_type.filter(issued_on__lte=as_of, valid_until__lt=as_of)
                    .exclude(status=Certificate.Status.REVOKED)
                    .values("holder")
                    .annotate(m=Max("valid_until"))
                    .values("m")[:1]
                ),
                revoked_on=Subquery(
                    same_type.filter(status=Certificate.Status.REVOKED, revoked_at__date__lte=as_of)
                    .values("holder")
                    .annotate(m=Max("revoked_at"))
                    .values("m")[:1]
                ),
            )
            .values(
                "person_id",
                "person__name",
                "person__id_number",
                "enterprise__credit_code",
                "enterprise__name",
                "counted",
                "last_expiry",
                "revoked_on",
            )
            .order_by("enterprise__name", "person__name", "person_id")
        )
        if status == "counted":
            rows = rows.filter(counted=True)
        elif status == "missing":
            rows = rows.filter(counted=False)
        lines = []
        for r in rows:
            if r["counted"]:
                reason = ""
            elif r["revoked_on"] is not None:
                reason = _("certificate revoked on %(day)s") % {"day": timezone.localdate(r["revoked_on"]).isoformat()}
            elif r["last_expiry"] is not None:
                reason = _("certificate expired on %(day)s") % {"day": r["last_expiry"].isoformat()}
            else:
                reason = _("no certificate")
            lines.append(
                PersonLine(
                    person_id=r["person_id"],
                    name=r["person__name"],
                    id_number=r["person__id_number"],
                    credit_code=r["enterprise__credit_code"],
                    enterprise_name=r["enterprise__name"],
                    status="counted" if r["counted"] else "missing",
                    reason=reason,
                )
            )
        return lines


@register
class PrincipalCertifiedRate(_HolderRate):
    """Principals and safety managers holding their certificate (主要负责人、安全管理人员持证率).

    Denominator: people whose employment is active on ``as_of`` (started on or
    before it, not ended before it) as principal or safety manager.
    Numerator: those holding, on ``as_of``, a certificate of the matching type
    (a principal the principal's, a safety manager the safety manager's),
    issued on or before ``as_of``, valid until ``as_of`` or later and not
    revoked on or before ``as_of``. Imported certificates count exactly as
    platform ones. ``extra["expiring"]``: holders whose certificate expires
    within ``expiring_days`` (default 90) after ``as_of``.
    """

    code = "principal_certified_rate"
    name = gettext_lazy("Principals and safety managers certified")
    target = 1.0
    posts = {Post.PRINCIPAL: CertificateType.PRINCIPAL, Post.SAFETY_MANAGER: CertificateType.SAFETY_MANAGER}


@register
class SpecialOperatorCertifiedRate(_HolderRate):
    """Special operators holding a valid 特种作业操作证 (特种作业人员持证上岗率).

    Denominator: people whose employment is active on ``as_of`` as special
    operators. Numerator: those holding, on ``as_of``, a special operations
    certificate issued on or before ``as_of``, valid until ``as_of`` or later
    and not revoked on or before ``as_of``. ``extra["expiring"]`` as for
    principals.
    """

    code = "special_operator_certified_rate"
    name = gettext_lazy("Special operators certified")
    target = 1.0
    posts = {Post.SPECIAL_OPERATOR: CertificateType.SPECIAL_OPERATOR}


@register
class NewEmployeeTrainingRate(Indicator):
    """New employees of key industries' above-scale enterprises trained before
    taking up their post (重点行业规模以上企业新增从业人员安全技能培训率).

    Denominator: employments that start within the period (on or before
    ``as_of``) at an enterprise that is above scale and in a key industry on
    the start date (the enterprise status in force that day, which also
    decides the jurisdiction). A transfer is a new employment at the new
    enterprise. An employment that ended without completing stays in the
    denominator.

    Numerator: those whose onboarding was complete on or before ``as_of``:

    * hours: the onboarding (岗前) 学时 credited for this employment reach the
      initial requirement of the profile for its post and for the risk of the
      enterprise's industry on the start date (one 学时 is the profile's
      ``minutes_per_hour``, else ``MINUTES_PER_CREDIT_HOUR``);
    * assessment: a passed (best) attempt at an exam session marked as
      onboarding, an imported onboarding row with a passed assessment for
      this enterprise, or a 新员工岗前培训 certificate valid on the last day
      of the window.

    The window of an employment runs from ``pretraining_days`` (default 30)
    before its start date to the earlier of ``as_of`` and its end date, both
    inclusive (local dates). Ledger entries count only if they are of the
    onboarding purpose and belong to the employment's enterprise; annual
    retraining never counts. Hours count whatever the assessment result on
    the same row. A platform onboarding exam counts when it was submitted
    within the window (sessions are not owned by an enterprise).
    """

    code = "new_employee_training_rate"
    name = gettext_lazy("New employees trained before taking up their post")
    target = 1.0
    params = (Param("pretraining_days", 30, gettext_lazy("training counted from (days before the start)"), 0, 365),)

    def _employments(self, query: Query) -> QuerySet[Employment]:
        as_of = query.as_of
        days = query.param("pretraining_days")
        high = industry_ids(high_risk=True)
        qs = (
            Employment.objects.filter(start_date__gte=query.date_from, start_date__lte=min(query.date_to, as_of))
            .annotate(**status_in_force("enterprise_id", F("start_date")), ref_date=F("start_date"))
            .filter(st_above_scale=True, st_industry_id__in=industry_ids(key=True))
        )
        return in_scope(qs, query).annotate(
            window_from=ExpressionWrapper(F("start_date") - dt.timedelta(days=days), output_field=DateField()),
            window_to=Least(Value(as_of), Coalesce("end_date", Value(as_of)), output_field=DateField()),
            **_profile_cases("initial_hours", high),
        )

    def subjects(self, query: Query) -> QuerySet[Any]:
        window = {
            "started_at__date__gte": OuterRef("window_from"),
            "started_at__date__lte": OuterRef("window_to"),
        }
        entries = CreditLedger.objects.filter(
            learner_id=OuterRef("person__user_id"),
            enterprise_id=OuterRef("enterprise_id"),
            purpose=CreditLedger.Purpose.ONBOARDING,
            **window,
        )
        seconds = entries.order_by().values("learner_id").annotate(s=Sum("seconds")).values("s")[:1]
        exam = Attempt.objects.filter(
            person_id=OuterRef("person_id"),
            session__is_onboarding=True,
            status=Attempt.Status.SUBMITTED,
            passed=True,
            submitted_at__date__gte=OuterRef("window_from"),
            submitted_at__date__lte=OuterRef("window_to"),
        )
        certificate = _valid_certificates_on(OuterRef("window_to")).filter(
            holder_id=OuterRef("person_id"), cert_type=CertificateType.NEW_EMPLOYEE
        )
        return (
            self._employments(query)
            .annotate(
                onboarding_seconds=Coalesce(Subquery(seconds, output_field=IntegerField()), Value(0)),
                assessed=ExpressionWrapper(
                    Exists(exam) | Exists(entries.filter(assessment_passed=True)) | Exists(certificate),
                    output_field=BooleanField(),
                ),
            )
            .annotate(
                counted=ExpressionWrapper(
                    Q(onboarding_seconds__gte=F("required_seconds"), assessed=True), output_field=BooleanField()
                )
            )
        )

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        as_of = query.as_of
        rows = _only(self.subjects(query), status).values(
            *PERSON_VALUES, "counted", "onboarding_seconds", "required_seconds", "hour_seconds", "assessed", "end_date"
        )

        def reason(r: dict[str, Any]) -> str:
            parts = []
            if r["end_date"] is not None and r["end_date"] < as_of:
                parts.append(_("left on %(day)s without completing") % {"day": r["end_date"].isoformat()})
            short = r["required_seconds"] - r["onboarding_seconds"]
            if short > 0:
                parts.append(_("hours short by %(hours)s") % {"hours": _hours(short, r["hour_seconds"])})
            if not r["assessed"]:
                parts.append(_("onboarding assessment not passed"))
            return _("; ").join(parts)

        return _lines(rows.order_by("enterprise__name", "person__name", "person_id", "start_date"), reason)
