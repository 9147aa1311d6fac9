"""The indicators, exactly: one class each, its docstring the definition.

The period is ``[from, to]`` inclusive; ``as_of`` is ``to``, or today when
``to`` is in the future. Scope is judged by the enterprise status in force on
each subject's reference date. A zero denominator gives a rate of ``None``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import (
    Aggregate,
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
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
from django.db.models.functions import Coalesce, Greatest, Least, Length, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import User
from analytics.facts import LEARNER_LEVELS, annual_years, facts_active
from analytics.indicators import (
    EXPIRING,
    STATUSES,
    Figure,
    Indicator,
    Param,
    PersonLine,
    Query,
    Row,
    Tally,
    day_start,
    grouped_rows,
    in_scope,
    industry_ids,
    is_whole_tree,
    period_ends,
    period_key,
    register,
    row_key,
    rows_sorted,
    scope_node,
    status_in_force,
    with_status,
    within_period,
    years_of,
)
from analytics.models import (
    AnnualFact,
    CompletionFact,
    ExamPairFact,
    HolderFact,
    LearnerDayFact,
    LedgerDayFact,
    NewHireFact,
)
from exams.models import Attempt, Certificate, CertificateType
from organizations.models import Employment, Enterprise, EnterpriseStatus, Jurisdiction, Person, RoleGrant
from training.models import Assignment, CreditLedger, PublicLearner, RequirementProfile

Post = Person.Post


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


def _facts_in_period(model: Any, query: Query) -> QuerySet[Any]:
    """The facts of ``model`` whose reference date lies within ``[date_from, as_of]``, in scope."""
    return in_scope(model.objects.filter(ref_date__gte=query.date_from, ref_date__lte=query.as_of), query)


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
    trend = True
    has_facts = True
    statuses = (*STATUSES, EXPIRING)
    params = (Param("expiring_days", 90, gettext_lazy("expiring within (days)"), minimum=0, maximum=3650),)

    def _employments(self, query: Query) -> QuerySet[Employment]:
        as_of = query.as_of
        wanted = Case(
            *(When(post=post, then=Value(cert)) for post, cert in self.posts.items()), output_field=CharField()
        )
        qs = with_status(
            Employment.objects.filter(post__in=list(self.posts), start_date__lte=as_of).filter(
                Q(end_date__isnull=True) | Q(end_date__gte=as_of)
            ),
            as_of,
        ).annotate(ref_date=Value(as_of, output_field=DateField()), wanted=wanted)
        return in_scope(qs, query)

    def _holding(self, day: dt.date, **more: Any) -> Q:
        """A subject holds the certificate its post wants, valid on ``day`` (and
        matching ``more``): per post a non-correlated ``person_id IN (holders
        of that type)``, which the database builds once as a hashed set rather
        than probing the certificates once per subject."""
        held = Q()
        for post, cert in self.posts.items():
            holders = _valid_certificates_on(day).filter(cert_type=cert, **more).values("holder_id")
            held |= Q(post=post, person_id__in=holders)
        return held

    def subjects(self, query: Query) -> QuerySet[Any]:
        if facts_active():
            return self._fact_subjects(query)
        counted = ExpressionWrapper(self._holding(query.as_of), output_field=BooleanField())
        return self._employments(query).annotate(counted=counted)

    def _fact_subjects(self, query: Query) -> QuerySet[Any]:
        """The employment stretches covering ``as_of`` (``HolderFact``): counted when a wanted certificate is valid."""
        as_of = query.as_of
        qs = HolderFact.objects.filter(post__in=list(self.posts), day_from__lte=as_of, day_to__gte=as_of).annotate(
            ref_date=Value(as_of, output_field=DateField()),
            counted=ExpressionWrapper(Q(holds_until__isnull=False), output_field=BooleanField()),
        )
        return in_scope(qs, query)

    def evaluate(self, query: Query) -> tuple[Figure, list[Row], dict[str, Any]]:
        """On the facts, the figures and ``expiring`` in one pass: a filtered
        count beside the rate's (grouped, summed over every group)."""
        if not facts_active() or query.group_by in ("month", "quarter", "year"):
            return super().evaluate(query)
        horizon = query.as_of + dt.timedelta(days=query.param("expiring_days"))
        aggregates = {**self.aggregates(), "expiring": Count(row_key(), filter=Q(holds_until__lte=horizon))}
        subjects = self.subjects(query)
        rows: list[Row] = []
        if query.group_by is None:
            got = subjects.order_by().aggregate(**aggregates)
        else:
            tally = Tally(aggregates=aggregates)
            rows = grouped_rows(query, subjects, self, tally=tally)
            got = {name: tally.total(name) for name in aggregates}
        extra = {"expiring": got["expiring"], "expiring_days": query.param("expiring_days")}
        return Figure(numerator=got["numerator"], denominator=got["denominator"]), rows_sorted(query, rows), extra

    def _trend(self, query: Query) -> tuple[Figure, list[Row]]:
        """On the facts, the stock on every period's last day in one pass over the
        stretches covering any of them: a pair of filtered counts per day, instead
        of one query per day (13 by month, each reading the same stretches)."""
        if not facts_active():
            return super()._trend(query)
        days = period_ends(query)
        if not days:
            return Figure(numerator=0, denominator=0), []
        counts: dict[str, Aggregate] = {}
        for i, day in enumerate(days):
            covering = Q(day_from__lte=day, day_to__gte=day)
            counts[f"d{i}"] = Count("day_from", filter=covering)
            counts[f"n{i}"] = Count("day_from", filter=covering & Q(holds_until__isnull=False))
        stretches = HolderFact.objects.filter(post__in=list(self.posts), day_from__lte=days[-1], day_to__gte=days[0])
        got = in_scope(stretches, query).order_by().aggregate(**counts)
        rows = []
        for i, day in enumerate(days):
            key = period_key(str(query.group_by), day)
            rows.append(Row(key=key, label=key, numerator=got[f"n{i}"] or 0, denominator=got[f"d{i}"] or 0))
        return Figure(numerator=rows[-1].numerator, denominator=rows[-1].denominator), rows

    def extras(self, query: Query, subjects: QuerySet[Any]) -> dict[str, Any]:
        # Holders none of whose valid certificates of the wanted type runs past the horizon.
        horizon = query.as_of + dt.timedelta(days=query.param("expiring_days"))
        if facts_active():  # the facts keep the latest expiry of the wanted certificates valid
            expiring = subjects.filter(holds_until__isnull=False, holds_until__lte=horizon)
            return {"expiring": expiring.count(), "expiring_days": query.param("expiring_days")}
        expiring = subjects.filter(counted=True).exclude(self._holding(query.as_of, valid_until__gt=horizon))
        return {"expiring": expiring.count(), "expiring_days": query.param("expiring_days")}

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        return list(self.people_iter(query, status=status))

    def _expiring(self, query: Query) -> QuerySet[Any]:
        """The counted whose certificate runs out within ``expiring_days`` after ``as_of``, as
        ``extras`` counts them: ``valid_until_latest``, the latest expiry of the wanted
        certificates valid on ``as_of`` (the facts' ``holds_until``), is within the horizon."""
        as_of = query.as_of
        horizon = as_of + dt.timedelta(days=query.param("expiring_days"))
        latest = (
            _valid_certificates_on(as_of)
            .filter(holder=OuterRef("person_id"), cert_type=OuterRef("wanted"))
            .values("holder")
            .annotate(m=Max("valid_until"))
            .values("m")[:1]
        )
        return (
            self.subjects(query)
            .annotate(valid_until_latest=Subquery(latest))
            .filter(counted=True, valid_until_latest__lte=horizon)
        )

    def people_count(self, query: Query, *, status: str | None = None) -> int:
        if status == EXPIRING:
            return self._expiring(query).count()
        return super().people_count(query, status=status)

    def people_iter(self, query: Query, *, status: str | None = None) -> Iterator[PersonLine]:
        """Everyone (or ``status``); EXPIRING: the counted whose certificate runs out within
        ``expiring_days`` after ``as_of``, as ``extras`` counts them, each with the day."""
        as_of = query.as_of
        same_type = Certificate.objects.filter(holder=OuterRef("person_id"), cert_type=OuterRef("wanted"))
        # Only the expiring list pays for its expiry subquery (a full list may hold a million).
        subjects = self._expiring(query) if status == EXPIRING else self.subjects(query)
        expiring = ["valid_until_latest"] if status == EXPIRING else []
        rows = (
            subjects.annotate(
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
                *expiring,
            )
            .order_by("enterprise__name", "person__name", "person_id")
        )
        if status == "counted":
            rows = rows.filter(counted=True)
        elif status == "missing":
            rows = rows.filter(counted=False)
        elif status == EXPIRING:  # the soonest first: the order in which renewals are due
            rows = rows.order_by("valid_until_latest", "enterprise__name", "person__name", "person_id")
        for r in rows.iterator(chunk_size=2000):
            if r["counted"]:
                # Counted needs no reason; in the expiring list the reason is the day it runs out.
                reason = ""
                if status == EXPIRING:
                    reason = _("certificate expires on %(day)s") % {"day": r["valid_until_latest"].isoformat()}
            elif r["revoked_on"] is not None:
                reason = _("certificate revoked on %(day)s") % {"day": timezone.localdate(r["revoked_on"]).isoformat()}
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
    rank = 20
    summary = gettext_lazy(
        "Denominator: principals and safety managers whose employment is active on the reference date "
        "(the period's end, or today when it ends later). Numerator: those of them holding a certificate "
        "of their post's type (the principal's or the safety manager's) that was issued by that date, is "
        "valid on it and was not revoked by it. Imported certificates count exactly as platform ones. "
        "Certificates that expire within the configured number of days after the reference date (90 by "
        "default) are shown as expiring."
    )
    name = gettext_lazy("Principals and safety managers certified")
    target = 1.0
    posts = {Post.PRINCIPAL: CertificateType.PRINCIPAL, Post.SAFETY_MANAGER: CertificateType.SAFETY_MANAGER}


@register
class SpecialOperatorCertifiedRate(_HolderRate):
    """Special operators holding a valid 特种作业操作证 (特种作业人员持证上岗率).

    Denominator: people whose employment is active on ``as_of`` as special
    operators. Numerator: those holding, on ``as_of``, a special operations
    certificate issued on or before ``as_of``, valid until ``as_of`` or later
    and not revoked on or before ``as_of``. Imported certificates count
    exactly as platform ones. ``extra["expiring"]``: holders whose
    certificate expires within ``expiring_days`` (default 90) after ``as_of``.
    """

    code = "special_operator_certified_rate"
    rank = 30
    summary = gettext_lazy(
        "Denominator: special operators whose employment is active on the reference date (the period's "
        "end, or today when it ends later). Numerator: those of them holding a special operations "
        "certificate (特种作业操作证) that was issued by that date, is valid on it and was not revoked by it. "
        "Imported certificates count exactly as platform ones. Certificates that expire within the "
        "configured number of days after the reference date (90 by default) are shown as expiring."
    )
    name = gettext_lazy("Special operators certified")
    target = 1.0
    posts = {Post.SPECIAL_OPERATOR: CertificateType.SPECIAL_OPERATOR}


def _continued_from() -> QuerySet[Employment]:
    """An employment of the same person at the same enterprise that runs up to
    the day before (or past) the outer one's start: the outer one is a change of
    post, not a new hire (``organizations.services.person_employment_update``
    records a post change as a new employment from that day)."""
    return Employment.objects.filter(
        person_id=OuterRef("person_id"),
        enterprise_id=OuterRef("enterprise_id"),
        start_date__lt=OuterRef("start_date"),
    ).filter(
        Q(end_date__isnull=True)
        | Q(end_date__gte=ExpressionWrapper(OuterRef("start_date") - dt.timedelta(days=1), output_field=DateField()))
    )


@register
class NewEmployeeTrainingRate(Indicator):
    """New employees of key industries' above-scale enterprises trained before
    taking up their post (重点行业规模以上企业新增从业人员安全技能培训率).

    Denominator: employments that start within the period (on or before
    ``as_of``) at an enterprise that is above scale and in a key industry on
    the start date (the enterprise status in force that day, which also
    decides the jurisdiction). A transfer is a new employment at the new
    enterprise. A change of post at the same enterprise (an employment that
    follows on from one there without a gap) is not a new hire. An employment
    that ended without completing stays in the denominator.

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
    rank = 10
    summary = gettext_lazy(
        "Denominator: employments starting within the period at an enterprise that is above scale and in "
        "a key industry on the start date. A move to another enterprise is a new hire there; a change of "
        "post at the same enterprise is not; a new hire who left without completing stays in the "
        "denominator. Numerator: those whose onboarding was complete by the reference date. The "
        "onboarding hours credited for this employment at this enterprise reach the requirement for the "
        "post and the industry's risk (24 hours for employees, 72 in high-risk industries; 32 for "
        "principals and safety managers, 48 in high-risk industries; unless the requirement profiles say "
        "otherwise), and an onboarding assessment was passed (an onboarding exam, an imported onboarding "
        "record marked passed, or a valid onboarding certificate). Training from the configured number of"
        " days before the start date (30 by default) counts; annual retraining never does."
    )
    name = gettext_lazy("New employees trained before taking up their post")
    target = 1.0
    params = (Param("pretraining_days", 30, gettext_lazy("training counted from (days before the start)"), 0, 365),)

    has_facts = True

    def _employments(self, query: Query) -> QuerySet[Employment]:
        as_of = query.as_of
        qs = new_hires_all(query.param("pretraining_days")).filter(
            start_date__gte=query.date_from, start_date__lte=min(query.date_to, as_of)
        )
        return in_scope(qs, query).annotate(
            window_to=Least(Value(as_of), Coalesce("end_date", Value(as_of)), output_field=DateField()),
        )

    def _fact_subjects(self, query: Query) -> QuerySet[Any]:
        """The new hires' facts (``NewHireFact``): counted when the day the
        hours were reached and the day the assessment was passed (or a
        certificate valid then) fall on or before the end of the window."""
        as_of = query.as_of
        qs = NewHireFact.objects.filter(
            pretraining_days=query.param("pretraining_days"),
            start_date__gte=query.date_from,
            start_date__lte=min(query.date_to, as_of),
        ).annotate(
            ref_date=F("start_date"),
            window_to=Least(Value(as_of), Coalesce("end_date", Value(as_of)), output_field=DateField()),
        )
        certificate = _valid_certificates_on(OuterRef("window_to")).filter(
            holder_id=OuterRef("person_id"), cert_type=CertificateType.NEW_EMPLOYEE
        )
        counted = Q(hours_done_on__lte=F("window_to")) & (Q(assessed_on__lte=F("window_to")) | Exists(certificate))
        return in_scope(qs, query).annotate(counted=ExpressionWrapper(counted, output_field=BooleanField()))

    def subjects(self, query: Query) -> QuerySet[Any]:
        if facts_active() and query.param("pretraining_days") == self.param("pretraining_days").default:
            return self._fact_subjects(query)
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
                    Exists(entries.filter(assessment_passed=True)) | Exists(certificate) | Exists(exam),
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


def new_hires_all(days: int) -> QuerySet[Employment]:
    """Every employment ``new_employee_training_rate`` counts, with its status on
    the start date, its window's first day (``days`` before the start) and the
    hours its post and industry risk require (live SQL; ``analytics.facts``
    stores it with the days the hours and the assessment were reached as
    ``NewHireFact``)."""
    return (
        with_status(Employment.objects.all(), F("start_date"))
        .annotate(ref_date=F("start_date"))
        .filter(st_above_scale=True, st_industry_id__in=industry_ids(key=True))
        .exclude(Exists(_continued_from()))
        .annotate(
            window_from=ExpressionWrapper(F("start_date") - dt.timedelta(days=days), output_field=DateField()),
            **_profile_cases("initial_hours", industry_ids(high_risk=True)),
        )
    )


def _local_day(field: str) -> TruncDate:
    """The local (``TIME_ZONE``) date of a datetime column."""
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def _employment_on(person: str, day: F) -> dict[str, Any]:
    """Annotations joining the person's employment active on ``day`` (a
    column): ``em`` and ``enterprise_id`` (that employment's enterprise, else
    the person's current one). Exclude ``_later_employment`` after it."""
    employments = f"{person}__employments"
    active = Q(**{f"{employments}__start_date__lte": day}) & (
        Q(**{f"{employments}__end_date__isnull": True}) | Q(**{f"{employments}__end_date__gte": day})
    )
    return {
        "em": FilteredRelation(employments, condition=active),
        "em_id": F("em__id"),
        "em_start": F("em__start_date"),
        "enterprise_id": Coalesce(F("em__enterprise_id"), F(f"{person}__enterprise_id"), output_field=IntegerField()),
    }


def _later_employment(person: str, day: F) -> QuerySet[Employment]:
    """Another employment active on the day that started later (or on the same
    day and was recorded later): excluding it keeps one row per subject when
    two employments overlap."""
    return (
        Employment.objects.filter(person_id=OuterRef(f"{person}__id"), start_date__lte=OuterRef(day.name))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef(day.name)))
        .filter(Q(start_date__gt=OuterRef("em_start")) | Q(start_date=OuterRef("em_start"), pk__gt=OuterRef("em_id")))
    )


def _enterprise_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``enterprise__credit_code`` and ``enterprise__name`` to rows that
    carry an annotated ``enterprise_id`` (one query, for formatting only)."""
    names = Enterprise.objects.in_bulk({r["enterprise_id"] for r in rows if r["enterprise_id"]})
    for r in rows:
        e = names.get(r["enterprise_id"])
        r["enterprise__credit_code"] = e.credit_code if e else ""
        r["enterprise__name"] = e.name if e else ""
    return rows


@register
class AnnualRetrainingRate(Indicator):
    """People who completed their annual retraining hours (年度再培训完成率), per calendar year.

    For each calendar year of the period that has begun by ``as_of``, the
    reference date is 31 December, or ``as_of`` within that year.
    Denominator: employments that started before 1 January of that year and
    are still active on the reference date (a person who moved enterprise
    during the year is not counted for it). Scope and industry are the
    enterprise status in force on the reference date.
    Numerator: those whose annual retraining 学时 credited from 1 January to
    the reference date (entries of the annual purpose, at any enterprise)
    reach the annual requirement of the profile for their post and their
    industry's risk; a post whose profile asks no annual hours reaches it.
    Onboarding hours never count. Years are added up: a person counts once
    per year of the period.
    """

    code = "annual_retraining_rate"
    rank = 40
    summary = gettext_lazy(
        "Counted for each calendar year of the period, on 31 December (or on the reference date within "
        "its year). Denominator: employments that started before 1 January of that year and are still "
        "active on that date. Numerator: those whose annual retraining hours credited from 1 January to "
        "that date reach the annual requirement for their post and their industry's risk. Onboarding "
        "hours never count. Each year counts on its own, so a person counts once a year."
    )
    name = gettext_lazy("Annual retraining completed")
    target = 1.0
    group_bys = ("jurisdiction", "industry", "enterprise", "year")

    def _year(self, query: Query, year: int, ref: dt.date) -> QuerySet[Any]:
        first = dt.date(year, 1, 1)
        seconds = (
            CreditLedger.objects.filter(
                learner_id=OuterRef("person__user_id"),
                purpose=CreditLedger.Purpose.ANNUAL,
                started_at__gte=day_start(first),
                started_at__lt=day_start(ref + dt.timedelta(days=1)),
            )
            .order_by()
            .values("learner_id")
            .annotate(s=Sum("seconds"))
            .values("s")[:1]
        )
        qs = with_status(
            Employment.objects.filter(start_date__lt=first).filter(Q(end_date__isnull=True) | Q(end_date__gte=ref)),
            ref,
        ).annotate(ref_date=Value(ref, output_field=DateField()))
        return (
            in_scope(qs, query)
            .annotate(
                **_profile_cases("annual_hours", industry_ids(high_risk=True)),
                annual_seconds=Coalesce(Subquery(seconds, output_field=IntegerField()), Value(0)),
                year=Value(year, output_field=IntegerField()),
            )
            # A CASE, so the ledger is summed only where the profile asks for hours.
            .annotate(
                counted=Case(
                    When(required_seconds__lte=0, then=Value(True)),
                    default=ExpressionWrapper(
                        Q(annual_seconds__gte=F("required_seconds")), output_field=BooleanField()
                    ),
                    output_field=BooleanField(),
                )
            )
        )

    has_facts = True

    def _fact_year(self, query: Query, year: int, ref: dt.date) -> QuerySet[Any]:
        """The year's stretches covering ``ref`` (``AnnualFact``): counted when the hours were reached by ``ref``."""
        qs = AnnualFact.objects.filter(year=year, day_from__lte=ref, day_to__gte=ref).annotate(
            ref_date=Value(ref, output_field=DateField()),
            counted=ExpressionWrapper(Q(done_on__lte=ref), output_field=BooleanField()),
        )
        return in_scope(qs, query)

    def _on_facts(self, query: Query) -> bool:
        if not facts_active():
            return False
        covered = annual_years()
        return covered is not None and all(covered[0] <= year <= covered[1] for year, _ref in years_of(query))

    def _fact_years(self, query: Query) -> QuerySet[Any]:
        """Every year of the period in one pass over ``AnnualFact`` (each year's
        stretches covering its own reference day), so a grouping is one grouped
        query and one set of rows rather than one per year."""
        years = years_of(query)
        if not years:
            return AnnualFact.objects.none()
        covering, counted = Q(), Q()
        for year, ref in years:
            covering |= Q(year=year, day_from__lte=ref, day_to__gte=ref)
            counted |= Q(year=year, done_on__lte=ref)
        ref_date = Case(*(When(year=year, then=Value(ref)) for year, ref in years), output_field=DateField())
        qs = (
            AnnualFact.objects.filter(year__in=[year for year, _ref in years])
            .filter(covering)
            .annotate(ref_date=ref_date, counted=ExpressionWrapper(counted, output_field=BooleanField()))
        )
        return in_scope(qs, query)

    def parts(self, query: Query) -> list[QuerySet[Any]]:
        if self._on_facts(query):
            return [self._fact_years(query)] if years_of(query) else []
        return [self._year(query, year, ref) for year, ref in years_of(query)]

    def subjects(self, query: Query) -> QuerySet[Any]:
        """The last year of the period (``parts`` has them all)."""
        years = years_of(query)
        if not years:
            return Employment.objects.none()
        year_of = self._fact_year if self._on_facts(query) else self._year
        return year_of(query, *years[-1])

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        several = len(years_of(query)) > 1
        lines: list[PersonLine] = []
        for part in self.parts(query):
            rows = _only(part, status).values(
                *PERSON_VALUES, "counted", "annual_seconds", "required_seconds", "hour_seconds", "year"
            )

            def reason(r: dict[str, Any]) -> str:
                short = _("annual hours short by %(hours)s") % {
                    "hours": _hours(r["required_seconds"] - r["annual_seconds"], r["hour_seconds"])
                }
                return f"{r['year']}: {short}" if several else short

            lines += _lines(rows.order_by("enterprise__name", "person__name", "person_id"), reason)
        return lines


def _child_codes(query: Query) -> set[str]:
    """The codes of the jurisdictions ``group_by=jurisdiction`` lists a row for."""
    node = scope_node(query)
    children = Jurisdiction.objects.filter(parent=node) if node else Jurisdiction.objects.filter(parent__isnull=True)
    return set(children.values_list("code", flat=True))


class _Exams:
    """(person, session) pairs of sessions closing within ``[from, as_of]``."""

    @staticmethod
    def pairs(query: Query) -> QuerySet[Any]:
        if facts_active():
            return _facts_in_period(ExamPairFact, query)
        return in_scope(exam_pairs_all().filter(within_period("session__closes_at", query)), query)


def exam_pairs_all() -> QuerySet[Attempt]:
    """Every (person, session) pair with what ``exam_pass_rate`` reads of it
    (live SQL; ``analytics.facts`` stores it as ``ExamPairFact``)."""
    same_pair = Attempt.objects.filter(session_id=OuterRef("session_id"), person_id=OuterRef("person_id"))
    submitted = same_pair.filter(status=Attempt.Status.SUBMITTED)
    best = submitted.order_by().values("person_id").annotate(m=Max("score")).values("m")[:1]
    return (
        Attempt.objects.all()
        # One row per pair: its first attempt. Papers are prepared with
        # seq 1 and retakes numbered after it; attempts are never deleted.
        .filter(seq=1)
        .annotate(ref_date=_local_day("session__closes_at"))
        .annotate(**_employment_on("person", F("ref_date")))
        .annotate(**status_in_force("enterprise_id", F("ref_date")))
        .filter(~Exists(_later_employment("person", F("ref_date"))))
        .annotate(
            sat=Exists(submitted),
            counted=Exists(submitted.filter(passed=True)),
            best_score=Subquery(best, output_field=DecimalField(max_digits=7, decimal_places=1)),
        )
    )


@register
class ExamPassRate(Indicator):
    """Exam pass rate (考试合格率), with the average score.

    Counted over the (person, session) pairs of exam sessions (spot tests
    included) that close within the period, up to ``as_of`` (local dates).
    Denominator: the pairs that sat, i.e. have a submitted attempt
    (invalidated attempts do not count). Numerator: the pairs whose best
    attempt passed, so a passed retake counts. Scope is the enterprise of the
    person's employment on the closing day (else their current enterprise),
    by its status in force that day. ``extra``: ``average_score`` (of the
    best attempts of the pairs that sat, or ``None``) and ``not_sat`` (pairs
    with no submitted attempt).
    """

    code = "exam_pass_rate"
    rank = 50
    missing_label = gettext_lazy("Sittings not passed")
    missing_count = gettext_lazy("%(n)s sittings not passed")
    summary = gettext_lazy(
        "Counted per person and exam session, over the sessions that close within the period. "
        "Denominator: those with a submitted attempt (invalidated attempts do not count). Numerator: "
        "those whose best attempt passed, so a passed retake counts. The average score is that of the "
        "best attempts. The enterprise is that of the person's employment on the closing day."
    )
    has_facts = True
    name = gettext_lazy("Exam pass rate")

    def subjects(self, query: Query) -> QuerySet[Any]:
        return _Exams.pairs(query).filter(sat=True)

    def extras(self, query: Query, subjects: QuerySet[Any]) -> dict[str, Any]:
        return self.evaluate(replace(query, group_by=None))[2]

    def evaluate(self, query: Query) -> tuple[Figure, list[Row], dict[str, Any]]:
        """The total, the rows and both extras in one pass over the pairs:
        filtered aggregates (rather than one pass each for the total, the
        rows, the average and ``not_sat``); grouped, the total is the sum of
        every group, those no row shows included."""
        # PostgreSQL pulls the pairs' subquery up into the aggregate and runs a
        # per-pair subquery once per reference, so each is referenced as few
        # times as the figures allow: ``counted`` and ``best_score`` imply
        # ``sat`` (both read submitted attempts only), ``not_sat`` is the rest.
        aggregates: dict[str, Aggregate] = {
            "pairs": Count(row_key()),
            "denominator": Count(row_key(), filter=Q(sat=True)),
            "numerator": Count(row_key(), filter=Q(counted=True)),
        }
        pairs = _Exams.pairs(query)
        if query.group_by is None:
            got = pairs.order_by().aggregate(**aggregates, average=Avg("best_score"))
            rows: list[Row] = []
        else:
            # Grouped, the average is added up from each group's sum and count.
            aggregates |= {"scored": Count("best_score"), "score_sum": Sum("best_score")}
            tally = Tally(aggregates=aggregates)
            # A group whose pairs all did not sit is no row of the subjects (who sat), except a
            # child jurisdiction, which always has its row.
            shown = _child_codes(query) if query.group_by == "jurisdiction" else set()
            rows = [r for r in grouped_rows(query, pairs, self, tally=tally) if r.denominator or r.key in shown]
            got = {name: tally.total(name) for name in aggregates}
            got["average"] = got["score_sum"] / got["scored"] if got["scored"] else None
        average = got["average"]
        extra = {
            "average_score": round(float(average), 1) if average is not None else None,
            "not_sat": got["pairs"] - got["denominator"],
        }
        return Figure(numerator=got["numerator"], denominator=got["denominator"]), rows_sorted(query, rows), extra

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        rows = _only(self.subjects(query), status).values(
            "person_id", "person__name", "person__id_number", "enterprise_id", "counted", "best_score", "session__title"
        )
        rows = _enterprise_names(list(rows.order_by("person__name", "person_id", "session__closes_at")))
        return _lines(
            rows,
            lambda r: (
                _("failed %(exam)s (best score %(score)s)")
                % {"exam": r["session__title"], "score": f"{float(r['best_score']):g}"}
            ),
        )


def ledger_hours(entries: QuerySet[CreditLedger]) -> QuerySet[Any]:
    """Ledger entries annotated with their ``value`` in 学时: seconds by the
    profile of the entry's post and of the risk of ``st_industry_id``."""
    return entries.annotate(**_profile_cases("initial_hours", industry_ids(high_risk=True))).annotate(
        value=ExpressionWrapper(F("seconds") * 1.0 / F("hour_seconds"), output_field=FloatField()),
    )


def ledger_days_all() -> QuerySet[Any]:
    """学时 per (enterprise, local day) with the status in force that day (live
    SQL; ``analytics.facts`` stores it as ``LedgerDayFact``)."""
    entries = with_status(
        CreditLedger.objects.filter(enterprise__isnull=False).annotate(ref_date=_local_day("started_at")),
        F("ref_date"),
    )
    return (
        ledger_hours(entries)
        .order_by()
        .values("enterprise_id", "ref_date", "st_jurisdiction_id", "st_industry_id")
        .annotate(hours=Sum("value"), entries=Count("pk"))
    )


class _Volume(Indicator):
    kind = "volume"
    group_bys = ("jurisdiction", "industry", "enterprise", "month", "quarter", "year")

    def _entries(self, query: Query) -> QuerySet[CreditLedger]:
        """Ledger entries dated within ``[from, as_of]`` (local days), of an
        enterprise, scoped by its status in force on the entry's day."""
        qs = with_status(
            CreditLedger.objects.filter(within_period("started_at", query), enterprise__isnull=False).annotate(
                ref_date=_local_day("started_at")
            ),
            F("ref_date"),
        )
        return in_scope(qs, query)

    def _learner_lines(self, qs: QuerySet[Any], status: str | None) -> list[PersonLine]:
        """Everyone behind a volume counts; there is nobody missing. ``qs``
        carries ``enterprise_id`` (a column or an annotation)."""
        if status == "missing":
            return []
        rows = (
            qs.filter(learner__person__isnull=False)
            .values("learner__person__id", "learner__person__name", "learner__person__id_number", "enterprise_id")
            .distinct()
            .order_by("learner__person__name", "learner__person__id", "enterprise_id")
        )
        return [
            PersonLine(
                person_id=r["learner__person__id"],
                name=r["learner__person__name"],
                id_number=r["learner__person__id_number"],
                credit_code=r["enterprise__credit_code"],
                enterprise_name=r["enterprise__name"],
                status="counted",
                reason="",
            )
            for r in _enterprise_names(list(rows))
        ]


@register
class TrainingHours(_Volume):
    """学时 delivered (培训学时总量).

    The sum of the 学时 credited in ledger entries dated within the period up
    to ``as_of`` (local days), of every purpose, platform and imported alike,
    of entries that belong to an enterprise (residents' public courses are in
    ``public_first_aid_coverage``). Seconds become 学时 by the profile of the
    entry's post and industry risk (``minutes_per_hour``, else
    ``MINUTES_PER_CREDIT_HOUR``). Scope: the entry's enterprise by its status
    in force on the entry's day. A float; no denominator.
    """

    code = "training_hours"
    rank = 60
    summary = gettext_lazy(
        "The sum of the credit hours credited within the period, on the platform and imported, of every "
        "kind, to people working for an enterprise. Residents' public courses are not included. An "
        "enterprise's jurisdiction and industry are those in force on each day of training."
    )
    name = gettext_lazy("Training hours delivered")
    unit = gettext_lazy("credit hours")

    has_facts = True

    def subjects(self, query: Query) -> QuerySet[Any]:
        if facts_active():
            return _facts_in_period(LedgerDayFact, query).annotate(value=F("hours"))
        return ledger_hours(self._entries(query))

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        return self._learner_lines(self._entries(query), status)


@register
class ActiveLearners(_Volume):
    """Active learners (活跃学员数).

    The number of distinct people with at least one ledger entry (platform
    or imported) dated within the period up to ``as_of``, counted once in
    the total and once in each group they trained in. Scope: the entry's
    enterprise by its status in force on the entry's day. No denominator.
    """

    code = "active_learners"
    rank = 70
    summary = gettext_lazy(
        "The number of people with at least one training record (on the platform or imported) within the "
        "period, counted once in the total and once in each group they trained in."
    )
    distinct_counts = True
    has_facts = True
    name = gettext_lazy("Active learners")
    unit = pgettext_lazy("unit", "people")

    def subjects(self, query: Query) -> QuerySet[Any]:
        if facts_active():
            facts = LearnerDayFact.objects.filter(ref_date__gte=query.date_from, ref_date__lte=query.as_of)
            return in_scope(facts, query)
        return self._entries(query)

    def aggregates(self) -> dict[str, Aggregate]:
        return {"numerator": Count("learner_id", distinct=True)}

    # On the facts, a learner's first row within the question's partition is the one whose
    # previous active day in it is before the period (``LearnerDayFact``): a plain filtered
    # COUNT instead of a distinct one. The partition must be exactly the scope (and, grouped,
    # the group within it), else the distinct count over the fact rows is exact and used.

    @staticmethod
    def _level(depth: int) -> str | None:
        return f"prev_j{depth}" if depth < LEARNER_LEVELS else None

    def _movers(self, query: Query) -> set[int]:
        """Enterprises whose rows are not all inside or all outside the jurisdiction
        asked for (a status in its subtree and one outside it, or an entry on a day no
        status was in force): for them a learner's previous day at the enterprise may
        lie outside the scope, so their enterprise partition is not the scope's."""
        if query.jurisdiction is None:
            return set()
        subtree = Jurisdiction.objects.filter(path__startswith=query.jurisdiction.path).values("pk")
        inside = EnterpriseStatus.objects.filter(jurisdiction_id__in=subtree)
        if query.enterprise is not None:
            inside = inside.filter(enterprise_id=query.enterprise.pk)
        # Semi-joins, never a list of the subtree's (tens of thousands of) enterprises.
        ids = inside.values("enterprise_id")
        outside = EnterpriseStatus.objects.filter(enterprise_id__in=ids).exclude(jurisdiction_id__in=subtree)
        movers = set(outside.order_by().values_list("enterprise_id", flat=True).distinct())
        unplaced = LearnerDayFact.objects.filter(st_jurisdiction_id__isnull=True, enterprise_id__in=ids)
        return movers | set(unplaced.order_by().values_list("enterprise_id", flat=True).distinct())

    def _scope_column(self, query: Query) -> str | None:
        """The partition whose class is the query's scope."""
        if query.enterprise is not None:
            return "prev_enterprise" if not self._movers(query) else None
        if query.jurisdiction is not None:
            return self._level(query.jurisdiction.path.count("/") - 2)
        return "prev_all"

    def _group_column(self, query: Query) -> str | None:
        """The partition whose classes are the groups within the scope (by enterprise
        under a jurisdiction, the movers are counted apart: ``figures``)."""
        by = query.group_by
        if by in ("month", "quarter", "year"):
            return self._scope_column(query)
        if by == "enterprise":
            return "prev_enterprise"
        if by == "industry":
            # Under the whole tree every placed row is in scope, so the industry's partition is the group's.
            whole = query.jurisdiction is None or is_whole_tree(query.jurisdiction)
            return "prev_industry" if whole and query.enterprise is None else None
        if by == "jurisdiction" and query.enterprise is None:
            node = query.jurisdiction
            if node is not None and not Jurisdiction.objects.filter(parent=node).exists():
                return None  # a leaf: its own row, even empty, as the distinct count gives it
            return self._level(0 if node is None else node.path.count("/") - 1)
        return None

    @staticmethod
    def _first_rows(column: str, start: Any) -> Count:
        """Rows whose previous active day in ``column``'s partition is before ``start``."""
        return Count(row_key(), filter=Q(**{f"{column}__isnull": True}) | Q(**{f"{column}__lt": start}))

    def figures(self, query: Query) -> tuple[Figure, list[Row]]:
        total_column = self._scope_column(query) if facts_active() else None
        group_column = self._group_column(query) if query.group_by else total_column
        if total_column is None or group_column is None:
            return super().figures(query)
        subjects = self.subjects(query)
        start = Value(query.date_from, output_field=DateField())
        if query.group_by is None:
            got = subjects.order_by().aggregate(numerator=self._first_rows(total_column, start))
            return Figure(numerator=got["numerator"] or 0, denominator=None), []
        # A period's group starts at its own first day (or ``from``); ``period`` is grouped_rows' annotation.
        group_start = Greatest(start, F("period")) if query.group_by in ("month", "quarter", "year") else start
        tally = Tally(
            aggregates={
                "numerator": self._first_rows(group_column, group_start),
                "total": self._first_rows(total_column, start),
            }
        )
        rows = grouped_rows(query, subjects, self, tally=tally, distinct=False)
        total = tally.total("total")
        movers = self._movers(query) if query.group_by == "enterprise" else set()
        if movers:  # their distinct counts, counted apart (a few enterprises' rows)
            codes = dict(Enterprise.objects.filter(pk__in=movers).values_list("pk", "credit_code"))
            exact = {
                codes.get(g["enterprise_id"]): g["n"]
                for g in subjects.filter(enterprise_id__in=movers)
                .order_by()
                .values("enterprise_id")
                .annotate(n=Count("learner_id", distinct=True))
            }
            rows = [replace(r, numerator=exact[r.key]) if r.key in exact else r for r in rows]
        return Figure(numerator=total, denominator=None), rows_sorted(query, rows)

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        return self._learner_lines(self._entries(query), status)


def learner_days_all() -> QuerySet[Any]:
    """Every (learner, local day, enterprise, status in force) with a ledger entry, as
    ``active_learners`` counts them (live SQL; ``analytics.facts`` stores it as ``LearnerDayFact``)."""
    entries = with_status(
        CreditLedger.objects.filter(enterprise__isnull=False).annotate(ref_date=_local_day("started_at")),
        F("ref_date"),
    )
    return (
        entries.order_by()
        .values("learner_id", "ref_date", "enterprise_id", "st_jurisdiction_id", "st_industry_id")
        .distinct()
    )


@register
class CourseCompletions(_Volume):
    """Course and plan completions (课程完成数).

    The number of assignments (a course or a training plan) of employees
    completed within the period up to ``as_of`` (local days). Scope: the
    enterprise of the person's employment on the completion day (else their
    current enterprise), by its status in force that day. No denominator.
    """

    code = "course_completions"
    rank = 80
    summary = gettext_lazy(
        "The number of courses and training plans that employees completed within the period. The "
        "enterprise is that of the person's employment on the day of completion."
    )
    has_facts = True
    name = gettext_lazy("Course completions")
    unit = gettext_lazy("completions")

    def subjects(self, query: Query) -> QuerySet[Any]:
        if facts_active():
            return _facts_in_period(CompletionFact, query)
        return in_scope(completions_all().filter(within_period("completed_at", query)), query)

    def aggregates(self) -> dict[str, Aggregate]:
        return {"numerator": Count(row_key())}

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        return self._learner_lines(self.subjects(query), status)


def completions_all() -> QuerySet[Assignment]:
    """Every completed assignment of an employee with what ``course_completions``
    reads of it (live SQL; ``analytics.facts`` stores it as ``CompletionFact``)."""
    return (
        Assignment.objects.filter(
            status=Assignment.Status.COMPLETED, completed_at__isnull=False, learner__person__isnull=False
        )
        .annotate(ref_date=_local_day("completed_at"))
        .annotate(**_employment_on("learner__person", F("ref_date")))
        .annotate(**status_in_force("enterprise_id", F("ref_date")))
        .filter(~Exists(_later_employment("learner__person", F("ref_date"))))
        .annotate(assignment_id=F("pk"), person_id=F("learner__person__id"))
    )


def _population(node: Jurisdiction | None) -> int:
    """The resident population of a node: its configured figure, else the sum
    of its children's (recursively); the whole platform is the sum of the roots."""
    nodes = list(Jurisdiction.objects.values("pk", "parent_id", "population"))
    children: dict[int | None, list[dict[str, Any]]] = {}
    for n in nodes:
        children.setdefault(n["parent_id"], []).append(n)

    def of(n: dict[str, Any]) -> int:
        if n["population"] is not None:
            return int(n["population"])
        return sum(of(c) for c in children.get(n["pk"], []))

    if node is None:
        return sum(of(n) for n in children.get(None, []))
    return of({"pk": node.pk, "population": node.population})


@register
class PublicFirstAidCoverage(Indicator):
    """Residents trained in first aid (群众应急救护培训达标普及率); the plans' target is 2 %.

    Numerator: public learners (residents who registered for public courses)
    registered in the scope who completed a self-enrolled public course
    within the period, up to ``as_of`` (local days); each resident counts
    once, in the month of their first such completion.
    Denominator: the resident population configured for the jurisdiction
    asked for (a node without a figure adds up its children's). Where no
    population is configured, the rate is ``None``. Grouped by jurisdiction,
    each child's trained residents are divided by the child's population; by
    month, quarter or year, by the population of the whole scope. Residents
    belong to no enterprise: an enterprise's query has no denominator.
    """

    code = "public_first_aid_coverage"
    rank = 90
    summary = gettext_lazy(
        "Numerator: residents registered for public courses in the jurisdiction who completed a public "
        "course within the period, each counted once. Denominator: the resident population configured for"
        " the jurisdiction (one without its own figure adds up its children's); where none is configured,"
        " no rate is shown. The plans' target is 2 %."
    )
    name = gettext_lazy("Residents trained in first aid")
    target = 0.02
    people_match_total = False  # the denominator is a population, not people listed
    missing_label = gettext_lazy("Registered residents not trained")
    group_bys = ("jurisdiction", "month", "quarter", "year")

    def subjects(self, query: Query) -> QuerySet[Any]:
        completions = Assignment.objects.filter(
            within_period("completed_at", query),
            learner_id=OuterRef("user_id"),
            source=Assignment.Source.PUBLIC,
            status=Assignment.Status.COMPLETED,
        )
        first = completions.order_by("completed_at").values("completed_at")[:1]
        qs = (
            PublicLearner.objects.filter(Exists(completions))
            .annotate(
                st_jurisdiction_id=F("jurisdiction_id"),
                st_industry_id=Value(None, output_field=IntegerField()),
                enterprise_id=Value(None, output_field=IntegerField()),
                first_completed=Subquery(first),
            )
            .annotate(ref_date=_local_day("first_completed"), counted=Value(True, output_field=BooleanField()))
        )
        if query.enterprise is not None:
            return qs.none()
        return in_scope(qs, query)

    def figures(self, query: Query) -> tuple[Figure, list[Row]]:
        trained, rows = super().figures(query)
        if query.enterprise is not None:
            return Figure(numerator=0, denominator=0), []
        whole = _population(query.jurisdiction)
        if query.group_by == "jurisdiction":
            nodes = {j.code: j for j in Jurisdiction.objects.filter(code__in=[r.key for r in rows])}
            rows = [
                Row(
                    key=r.key,
                    label=r.label,
                    numerator=r.numerator,
                    denominator=_population(nodes.get(r.key)) if r.key in nodes else 0,
                )
                for r in rows
            ]
        else:
            rows = [Row(key=r.key, label=r.label, numerator=r.numerator, denominator=whole) for r in rows]
        return Figure(numerator=trained.numerator, denominator=whole), rows

    def _registered(self, query: Query) -> QuerySet[Any]:
        """Residents registered in the scope by ``as_of``, each marked ``counted``
        when trained in the period (as ``subjects``): the missing list is those
        who registered and were not trained, the only residents the platform
        knows by name (the rest of the population never registered)."""
        trained = self.subjects(replace(query, group_by=None)).values("pk")
        public = Assignment.objects.filter(learner_id=OuterRef("user_id"), source=Assignment.Source.PUBLIC)
        qs = (
            PublicLearner.objects.annotate(
                st_jurisdiction_id=F("jurisdiction_id"),
                enterprise_id=Value(None, output_field=IntegerField()),
                counted=ExpressionWrapper(Q(pk__in=trained), output_field=BooleanField()),
                started=Exists(public),
            )
            # Not yet registered on as_of: not missing then (the trained are counted as ``subjects`` counts them).
            .filter(Q(counted=True) | Q(created_at__lt=day_start(query.as_of + dt.timedelta(days=1))))
        )
        return qs.none() if query.enterprise is not None else in_scope(qs, query)

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        rows = _only(self._registered(query), status).values("pk", "name", "counted", "started", "created_at")
        return [
            PersonLine(
                person_id=r["pk"],
                name=r["name"],
                id_number="",
                credit_code="",
                enterprise_name="",
                status="counted" if r["counted"] else "missing",
                reason=""
                if r["counted"]
                else (
                    _("started a public course, not completed in the period")
                    if r["started"]
                    else _("registered on %(day)s, no public course taken")
                    % {"day": timezone.localdate(r["created_at"]).isoformat()}
                ),
            )
            for r in rows.order_by("name", "pk")
        ]


@register
class RegulatorTrainingRate(Indicator):
    """Regulators who completed their continuing education (监管人员继续教育完成率), per calendar year.

    Reading: regulators are the accounts holding a bureau official grant on a
    jurisdiction of the scope (placed on the widest such jurisdiction).
    Grants keep no history, so today's grants stand for every year. Each
    calendar year of the period is judged on 31 December, or ``as_of``
    within its year. A training is a course or plan assignment completed by
    them; the numerator counts those who completed at least
    ``min_trainings`` (default 2) from 1 January to that date.
    Years are added up. ``extra``: their exam pass rate (监管人员专业水平合格率),
    over the exam pairs of those who also have a person record, counted as
    ``exam_pass_rate`` counts (``exam_sat``, ``exam_passed``,
    ``exam_pass_rate``). Regulators belong to no enterprise.
    """

    code = "regulator_training_rate"
    rank = 100
    summary = gettext_lazy(
        "Counted for each calendar year of the period. Denominator: the staff holding a bureau official "
        "role in the jurisdiction. Numerator: those who completed at least the configured number of "
        "trainings (courses or training plans; 2 by default) from 1 January to 31 December, or to the "
        "reference date within its year. Their exam pass rate is shown beside it."
    )
    name = gettext_lazy("Regulators who completed their continuing education")
    target = 1.0
    params = (Param("min_trainings", 2, gettext_lazy("trainings required per year"), 1, 50),)
    group_bys = ("jurisdiction", "year")

    def _grants(self, query: Query) -> QuerySet[RoleGrant]:
        grants = RoleGrant.objects.filter(role=RoleGrant.Role.BUREAU_OFFICIAL)
        if query.jurisdiction is not None:
            grants = grants.filter(jurisdiction__path__startswith=query.jurisdiction.path)
        return grants

    def _year(self, query: Query, year: int, ref: dt.date) -> QuerySet[Any]:
        grants = (
            self._grants(query)
            .filter(user_id=OuterRef("pk"))
            .order_by(Length("jurisdiction__path"), "jurisdiction__path")
        )
        done = (
            Assignment.objects.filter(
                learner_id=OuterRef("pk"),
                status=Assignment.Status.COMPLETED,
                completed_at__gte=day_start(dt.date(year, 1, 1)),
                completed_at__lt=day_start(ref + dt.timedelta(days=1)),
            )
            .order_by()
            .values("learner_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        )
        qs = (
            User.objects.filter(Exists(grants))
            .annotate(
                st_jurisdiction_id=Subquery(grants.values("jurisdiction_id")[:1]),
                st_industry_id=Value(None, output_field=IntegerField()),
                enterprise_id=Value(None, output_field=IntegerField()),
                ref_date=Value(ref, output_field=DateField()),
                trainings=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
                year=Value(year, output_field=IntegerField()),
            )
            .annotate(
                counted=ExpressionWrapper(Q(trainings__gte=query.param("min_trainings")), output_field=BooleanField())
            )
        )
        if query.enterprise is not None:
            return qs.none()
        return qs

    def parts(self, query: Query) -> list[QuerySet[Any]]:
        return [self._year(query, year, ref) for year, ref in years_of(query)]

    def subjects(self, query: Query) -> QuerySet[Any]:
        """The last year of the period (``parts`` has them all)."""
        years = years_of(query)
        return self._year(query, *years[-1]) if years else User.objects.none()

    def extras(self, query: Query, subjects: QuerySet[Any]) -> dict[str, Any]:
        users = self._grants(query).values("user_id")
        pairs = _Exams.pairs(query).filter(person__user_id__in=users, sat=True)
        got = pairs.order_by().aggregate(sat=Count("pk"), passed=Count("pk", filter=Q(counted=True)))
        if query.enterprise is not None:
            got = {"sat": 0, "passed": 0}
        return {
            "exam_sat": got["sat"],
            "exam_passed": got["passed"],
            "exam_pass_rate": got["passed"] / got["sat"] if got["sat"] else None,
        }

    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        several = len(years_of(query)) > 1
        wanted = query.param("min_trainings")
        lines: list[PersonLine] = []
        for part in self.parts(query):
            rows = _only(part, status).values(
                "pk",
                "display_name",
                "username",
                "person__id",
                "person__name",
                "person__id_number",
                "counted",
                "trainings",
                "year",
            )
            for r in rows.order_by("display_name", "username", "pk"):
                reason = ""
                if not r["counted"]:
                    reason = _("completed %(done)s of %(wanted)s trainings") % {
                        "done": r["trainings"],
                        "wanted": wanted,
                    }
                    reason = f"{r['year']}: {reason}" if several else reason
                lines.append(
                    PersonLine(
                        person_id=r["person__id"] or 0,
                        name=r["person__name"] or r["display_name"] or r["username"],
                        id_number=r["person__id_number"] or "",
                        credit_code="",
                        enterprise_name="",
                        status="counted" if r["counted"] else "missing",
                        reason=reason,
                    )
                )
        return lines
