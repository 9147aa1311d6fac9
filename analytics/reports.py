"""Published reports (月报/季报): publish a period's figures frozen, compare them with today's.

``report_publish`` builds every chosen indicator's query through
``query_build`` (the same checks and scope as every door), computes it and
stores the total, the rows and every person behind a rate, with the
publishing user and time. ``report_compare`` recomputes the same questions
today and names each person whose status changed since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.errors import AnalyticsError, InvalidQuery, OutOfScope
from analytics.indicators import (
    GROUP_BYS,
    STATUSES,
    Figure,
    PersonLine,
    Query,
    Result,
    Row,
    compute,
    indicator_get,
    people,
    status_label,
)
from analytics.models import PublishedReport, ReportFigure, ReportPerson
from analytics.queries import query_build, reader_scope
from organizations.selectors import subtree_q


def may_publish(user: Any) -> bool:
    """Bureau officials (for their subtree) and platform admins publish; enterprise admins only read."""
    scope = reader_scope(user)
    return scope is None or bool(scope[0])


def reports_visible_to(user: Any) -> QuerySet[PublishedReport]:
    """Reports whose scope the user may read statistics for."""
    qs = PublishedReport.objects.select_related("jurisdiction", "enterprise", "published_by")
    scope = reader_scope(user)
    if scope is None:
        return qs
    paths, enterprise_ids = scope
    if not paths and not enterprise_ids:
        return qs.none()
    return qs.filter(
        subtree_q(paths, "jurisdiction__path")
        | Q(jurisdiction__isnull=True, enterprise__isnull=False)
        & (Q(enterprise_id__in=enterprise_ids) | subtree_q(paths, "enterprise__jurisdiction__path"))
    )


# What a report shares with every query it publishes: the period, its reference date and the scope.
REPORT_FRAME = ("date_from", "date_to", "as_of", "jurisdiction", "enterprise")


def _scope_params(report: PublishedReport) -> dict[str, Any]:
    params: dict[str, Any] = {"from": report.date_from, "to": report.date_to}
    if report.jurisdiction_id:
        params["jurisdiction"] = report.jurisdiction.code
    if report.enterprise_id:
        params["enterprise"] = report.enterprise.credit_code
    if report.group_by:
        params["group_by"] = report.group_by
    return params


def report_publish(
    *,
    user: Any,
    kind: str,
    title: str,
    codes: Sequence[str],
    params: Mapping[str, Any],
    today: dt.date | None = None,
) -> PublishedReport:
    """Publish the figures of ``codes`` for the period and scope in ``params``
    (``from``, ``to``, ``jurisdiction``, ``enterprise``, ``group_by``).

    Raises ``InvalidQuery`` naming the field or ``OutOfScope``; writes nothing then.
    """
    if not may_publish(user):
        raise OutOfScope(_("Only bureau officials publish reports."))
    if kind not in PublishedReport.Kind.values:
        raise InvalidQuery(_("Choose the kind of report."), field="kind")
    title = (title or "").strip()
    if not title:
        raise InvalidQuery(_("Give the report a title."), field="title")
    if len(title) > 200:
        raise InvalidQuery(_("The title is longer than 200 characters."), field="title")
    codes = list(dict.fromkeys(c for c in codes if c))
    if not codes:
        raise InvalidQuery(_("Choose at least one indicator."), field="indicators")
    group_by = params.get("group_by") or None
    if group_by is not None and group_by not in GROUP_BYS:
        raise InvalidQuery(
            _("“%(value)s” is not a supported grouping; use one of %(allowed)s.")
            % {"value": group_by, "allowed": ", ".join(GROUP_BYS)},
            field="group_by",
        )
    queries: list[Query] = []
    for code in codes:
        indicator = indicator_get(code)
        wanted = dict(params)
        # Each indicator is grouped as asked where it supports that grouping.
        wanted["group_by"] = group_by if group_by in indicator.group_bys else None
        queries.append(query_build(user=user, code=code, params=wanted, today=today))
    first = queries[0]
    results = [(compute(q), people(q) if indicator_get(q.code).kind == "rate" else []) for q in queries]
    with transaction.atomic():
        report = PublishedReport.objects.create(
            kind=kind,
            title=title,
            group_by=group_by or "",
            published_by=user,
            **{name: getattr(first, name) for name in REPORT_FRAME},
        )
        for position, (result, lines) in enumerate(results):
            indicator = indicator_get(result.query.code)
            ReportFigure.objects.create(
                report=report,
                indicator=indicator.code,
                name=str(indicator.name),
                kind=indicator.kind,
                numerator=result.total.numerator,
                denominator=result.total.denominator,
                rows=[
                    {"key": r.key, "label": r.label, "numerator": r.numerator, "denominator": r.denominator}
                    for r in result.rows
                ],
                extra=result.extra,
                position=position,
            )
            ReportPerson.objects.bulk_create(
                (
                    ReportPerson(
                        report=report,
                        indicator=indicator.code,
                        person_id=line.person_id,
                        name=line.name[:100],
                        credit_code=line.credit_code[:18],
                        enterprise_name=line.enterprise_name[:200],
                        status=line.status,
                        reason=line.reason[:255],
                    )
                    for line in lines
                ),
                batch_size=1000,
            )
    return report


@dataclass
class Change:
    """A person whose standing differs between the published report and today."""

    person_id: int
    name: str
    enterprise_name: str
    then: str  # translated: counted, missing, both, or "" (not in the published figure)
    now: str  # the same, today
    then_code: str  # "counted" | "missing" | "" (absent or mixed)
    now_code: str
    reason_then: str
    reason_now: str


@dataclass
class Comparison:
    figure: ReportFigure
    today: Result | None  # None when today's figure cannot be computed (an indicator since removed)
    error: str = ""
    rows: list[tuple[dict[str, Any], Row | None]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def frozen_total(self) -> Figure:
        return Figure(numerator=self.figure.numerator, denominator=self.figure.denominator)


def report_compare(*, report: PublishedReport, today: dt.date | None = None) -> list[Comparison]:
    """Each frozen figure beside today's recomputation of the same question,
    with every person whose status changed (counted → missing or back, or who
    entered or left the denominator)."""
    today = today or timezone.localdate()
    base = _scope_params(report)
    comparisons = []
    for figure in report.figures.all():
        comparison = Comparison(figure=figure, today=None)
        comparisons.append(comparison)
        try:
            indicator = indicator_get(figure.indicator)
            wanted = dict(base, group_by=report.group_by if report.group_by in indicator.group_bys else None)
            query = query_build(user=None, code=figure.indicator, params=wanted, today=today)
            comparison.today = compute(query)
        except AnalyticsError as error:
            comparison.error = error.message
            continue
        now_rows = {r.key: r for r in comparison.today.rows}
        comparison.rows = [(row, now_rows.get(row["key"])) for row in figure.rows]
        if figure.kind == "rate":
            comparison.changes = _changes(report, figure, people(query))
    return comparisons


def _status_label(statuses: list[str]) -> str:
    """``counted``, ``missing``, both (a person counted once per session or year), or nothing."""
    labels = {s: status_label(s) for s in STATUSES}
    if not statuses:
        return ""
    return " / ".join(str(labels.get(s, s)) for s in sorted(set(statuses)))


def _changes(report: PublishedReport, figure: ReportFigure, lines: list[PersonLine]) -> list[Change]:
    """People whose statuses differ, matched by (person id, name): a person may stand more
    than once in a figure (an exam session each), and staff without a roster entry share id 0."""
    then: dict[tuple[int, str], list[Any]] = {}
    for p in report.people.filter(indicator=figure.indicator).order_by("pk"):
        then.setdefault((p.person_id, p.name), []).append(p)
    now: dict[tuple[int, str], list[PersonLine]] = {}
    for line in lines:
        now.setdefault((line.person_id, line.name[:100]), []).append(line)
    changes = []
    for key in then.keys() | now.keys():
        before, after = then.get(key, []), now.get(key, [])
        statuses_then = sorted(p.status for p in before)
        statuses_now = sorted(line.status for line in after)
        if statuses_then == statuses_now:
            continue
        last = after[0] if after else before[0]
        changes.append(
            Change(
                person_id=key[0],
                name=key[1],
                enterprise_name=last.enterprise_name,
                then=_status_label(statuses_then),
                now=_status_label(statuses_now),
                then_code=statuses_then[0] if len(set(statuses_then)) == 1 else "",
                now_code=statuses_now[0] if len(set(statuses_now)) == 1 else "",
                reason_then="; ".join(sorted({p.reason for p in before if p.reason})),
                reason_now="; ".join(sorted({line.reason for line in after if line.reason})),
            )
        )
    return sorted(changes, key=lambda c: (c.enterprise_name, c.name, c.person_id))
