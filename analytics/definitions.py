"""The indicators, exactly: one class each, its docstring the definition.

The period is ``[from, to]`` inclusive; ``as_of`` is ``to``, or today when
``to`` is in the future. Scope is judged by the enterprise status in force on
each subject's reference date. A zero denominator gives a rate of ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, ClassVar

from django.db.models import Case, CharField, DateField, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.indicators import Indicator, Param, PersonLine, Query, in_scope, register, status_in_force
from exams.models import Certificate, CertificateType
from organizations.models import Employment, Person

Post = Person.Post


def _certificates_valid_on(query: Query) -> QuerySet[Certificate]:
    """Certificates issued on or before ``as_of``, valid until ``as_of`` or
    later, and not revoked on or before ``as_of``."""
    as_of = query.as_of
    return Certificate.objects.filter(issued_on__lte=as_of, valid_until__gte=as_of).exclude(
        status=Certificate.Status.REVOKED, revoked_at__date__lte=as_of
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
        return list(self.people_iter(query, status=status))

    def people_iter(self, query: Query, *, status: str | None = None) -> Iterator[PersonLine]:
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
        for r in rows.iterator(chunk_size=2000):
            if r["counted"]:
                reason = ""
            elif r["revoked_on"] is not None:
                reason = _("certificate revoked on %(day)s") % {"day": r["revoked_on"].date().isoformat()}
            elif r["last_expiry"] is not None:
                reason = _("certificate expired on %(day)s") % {"day": r["last_expiry"].isoformat()}
            else:
                reason = _("no certificate")
            yield PersonLine(
                person_id=r["person_id"],
                name=r["person__name"],
                id_number=r["person__id_number"],
                credit_code=r["enterprise__credit_code"],
                enterprise_name=r["enterprise__name"],
                status="counted" if r["counted"] else "missing",
                reason=reason,
            )


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
