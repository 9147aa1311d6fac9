"""The indicator machinery: questions, answers, the registry and the grouping.

What each indicator counts lives in ``analytics.definitions`` (one module, one
class per indicator). This module is the contract every door uses: the web
pages, the API, the ``export_indicators`` command, exports and published
reports all build a ``Query`` (``analytics.queries.query_build`` checks it and
the caller's scope) and call ``compute`` or ``people``.

An indicator describes its *subjects* (the employments, people or sessions it
counts) as one annotated queryset; ``compute`` groups and counts them in SQL
(``COUNT(*)`` and a filtered ``COUNT``), never row by row in Python.
"""

from __future__ import annotations

import datetime as dt
import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone
from django.utils.functional import Promise

from analytics.errors import UnknownIndicator
from organizations.models import Enterprise, EnterpriseStatus, Industry, Jurisdiction

GROUP_BYS = ("jurisdiction", "industry", "enterprise", "month", "quarter", "year")
STATUSES = ("counted", "missing")


@dataclass(frozen=True)
class Param:
    """A named, configurable parameter of an indicator, with its default."""

    name: str
    default: int
    label: Promise | str
    minimum: int = 0
    maximum: int = 3650


@dataclass(frozen=True)
class Query:
    """One question: which indicator, over which period, for which scope, grouped how.

    ``jurisdiction`` is a subtree root; ``enterprise`` narrows to one enterprise
    (both may be set; an enterprise admin always has ``enterprise``). Neither set
    means the whole platform (a platform admin or an operator's command).
    """

    code: str
    date_from: dt.date
    date_to: dt.date
    jurisdiction: Jurisdiction | None = None
    enterprise: Enterprise | None = None
    group_by: str | None = None
    params: Mapping[str, int] = field(default_factory=dict)
    today: dt.date | None = None

    @property
    def as_of(self) -> dt.date:
        """``date_to``, or today when ``date_to`` is in the future."""
        today = self.today or timezone.localdate()
        return min(self.date_to, today)

    def param(self, name: str) -> int:
        return int(self.params[name]) if name in self.params else indicator_get(self.code).param(name).default


@dataclass(frozen=True)
class Figure:
    """A rate's numerator and denominator; for a volume indicator the numerator
    is the value (hours, learners, completions) and the denominator ``None``."""

    numerator: float
    denominator: int | None

    @property
    def rate(self) -> float | None:
        """A fraction between 0 and 1; ``None`` for a zero denominator (shown as "—", never 0 %) and for volumes."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Row(Figure):
    key: str = ""
    label: str = ""


@dataclass(frozen=True)
class Result:
    query: Query
    total: Figure
    rows: list[Row]
    # Indicator-specific figures beside the rate (an average score, holders
    # whose certificate expires soon, …), JSON-safe.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonLine:
    """One person behind a figure: counted or missing, and why."""

    person_id: int
    name: str
    id_number: str
    credit_code: str
    enterprise_name: str
    status: str  # "counted" | "missing"
    reason: str  # translated; empty when counted


class Indicator(ABC):
    """One indicator. Subclasses set the class attributes, document numerator,
    denominator and reference dates in the docstring, and implement
    ``subjects`` (and ``people`` reasons)."""

    code: ClassVar[str]
    name: ClassVar[Promise]
    kind: ClassVar[str] = "rate"  # "rate" or "volume" (a sum or count; denominator None)
    unit: ClassVar[Promise | str] = "%"
    target: ClassVar[float | None] = None  # as a fraction; None where the plans set none
    params: ClassVar[tuple[Param, ...]] = ()
    group_bys: ClassVar[tuple[str, ...]] = GROUP_BYS

    @classmethod
    def definition(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @abstractmethod
    def subjects(self, query: Query) -> QuerySet[Any]:
        """The rows counted in the denominator, within the query's scope, each
        annotated with ``counted`` (bool), ``st_jurisdiction_id``,
        ``st_industry_id`` (the enterprise status in force on the reference
        date), ``enterprise_id``, ``person_id`` and ``ref_date``."""

    @abstractmethod
    def people(self, query: Query, *, status: str | None = None) -> list[PersonLine]:
        """Everyone in the denominator (or only ``status``), with the reason a missing one is missing."""

    def people_iter(self, query: Query, *, status: str | None = None) -> Iterator[PersonLine]:
        """``people`` one line at a time, for exports of any size. An indicator
        whose lists can be long overrides this to stream from the database (and
        builds ``people`` on it); the default materialises ``people``."""
        return iter(self.people(query, status=status))

    def people_count(self, query: Query, *, status: str | None = None) -> int:
        """How many lines ``people`` has: the subjects, or those counted or missing (one SQL count).
        An indicator whose people lines are not one per subject (one line per
        person over several sessions, say) overrides it: the API's pages and the
        export's progress bar trust it, and ``people_iter`` must keep one order."""
        subjects = self.subjects(query).order_by()
        if status == "counted":
            subjects = subjects.filter(counted=True)
        elif status == "missing":
            subjects = subjects.filter(counted=False)
        return subjects.count()

    def extras(self, query: Query, subjects: QuerySet[Any]) -> dict[str, Any]:
        return {}


_REGISTRY: dict[str, Indicator] = {}


def register(cls: type[Indicator]) -> type[Indicator]:
    _REGISTRY[cls.code] = cls()
    return cls


def indicators_all() -> list[Indicator]:
    return list(_REGISTRY.values())


def indicator_get(code: str) -> Indicator:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise UnknownIndicator(f"unknown indicator {code!r}") from None


# --- grouping ------------------------------------------------------------------------------

_TRUNC = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


def _period_key(group_by: str, day: dt.date) -> str:
    if group_by == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if group_by == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def _counts(qs: QuerySet[Any], *group: str) -> list[dict[str, Any]]:
    return list(
        qs.order_by().values(*group).annotate(denominator=Count("pk"), numerator=Count("pk", filter=Q(counted=True)))
    )


def _rows(query: Query, subjects: QuerySet[Any]) -> list[Row]:
    by = query.group_by
    if by is None:
        return []
    if by in _TRUNC:
        grouped = _counts(subjects.annotate(period=_TRUNC[by]("ref_date")), "period")
        rows = [(_period_key(by, g["period"]), g) for g in grouped if g["period"] is not None]
        return [Row(key=k, label=k, numerator=g["numerator"], denominator=g["denominator"]) for k, g in sorted(rows)]
    if by == "industry":
        grouped = _counts(subjects, "st_industry_id")
        names = Industry.objects.in_bulk([g["st_industry_id"] for g in grouped])
        rows = [
            Row(key=names[g["st_industry_id"]].code, label=names[g["st_industry_id"]].name, **_nd(g))
            for g in grouped
            if g["st_industry_id"] in names
        ]
        return sorted(rows, key=lambda r: r.key)
    if by == "enterprise":
        grouped = _counts(subjects, "enterprise_id")
        names = Enterprise.objects.in_bulk([g["enterprise_id"] for g in grouped])
        rows = [
            Row(key=names[g["enterprise_id"]].credit_code, label=names[g["enterprise_id"]].name, **_nd(g))
            for g in grouped
            if g["enterprise_id"] in names
        ]
        return sorted(rows, key=lambda r: r.label)
    return _jurisdiction_rows(query, _counts(subjects, "st_jurisdiction_id"))


def _nd(g: Mapping[str, Any]) -> dict[str, int]:
    return {"numerator": g["numerator"], "denominator": g["denominator"]}


def _jurisdiction_rows(query: Query, grouped: list[dict[str, Any]]) -> list[Row]:
    """Roll the per-jurisdiction counts (one group per jurisdiction, not per
    row) up to the children of the node asked for; a subject placed on the
    node itself gets the node's own row."""
    node = query.jurisdiction
    if node is None and query.enterprise is not None:
        node = query.enterprise.jurisdiction
    children = (
        list(Jurisdiction.objects.filter(parent=node))
        if node
        else list(Jurisdiction.objects.filter(parent__isnull=True))
    )
    paths = dict(
        Jurisdiction.objects.filter(pk__in=[g["st_jurisdiction_id"] for g in grouped]).values_list("pk", "path")
    )
    totals: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for g in grouped:
        path = paths.get(g["st_jurisdiction_id"], "")
        owner = next((c for c in children if path.startswith(c.path)), node)
        if owner is None:
            continue
        labels[owner.code] = owner.name
        acc = totals.setdefault(owner.code, [0, 0])
        acc[0] += g["numerator"]
        acc[1] += g["denominator"]
    for c in children:  # every child gets a row, with "—" where nobody is counted
        labels.setdefault(c.code, c.name)
        totals.setdefault(c.code, [0, 0])
    return [Row(key=k, label=labels[k], numerator=v[0], denominator=v[1]) for k, v in sorted(totals.items())]


def compute(query: Query) -> Result:
    """The indicator's total and, with ``group_by``, its rows."""
    ind = indicator_get(query.code)
    subjects = ind.subjects(query)
    total = subjects.order_by().aggregate(denominator=Count("pk"), numerator=Count("pk", filter=Q(counted=True)))
    return Result(
        query=query,
        total=Figure(numerator=total["numerator"], denominator=total["denominator"]),
        rows=_rows(query, subjects),
        extra=ind.extras(query, subjects),
    )


def people(query: Query, *, status: str | None = None) -> list[PersonLine]:
    """The people behind the figure, each counted or missing with the reason."""
    return indicator_get(query.code).people(query, status=status)


def people_iter(query: Query, *, status: str | None = None) -> Iterator[PersonLine]:
    """``people`` as an iterator: what exports use, so a million lines are never held at once."""
    return indicator_get(query.code).people_iter(query, status=status)


def people_count(query: Query, *, status: str | None = None) -> int:
    return indicator_get(query.code).people_count(query, status=status)


# --- building blocks for the definitions --------------------------------------------------


def status_in_force(enterprise_field: str, day: Any) -> dict[str, Subquery]:
    """Annotations for the enterprise status in force on ``day`` (a date or an
    expression such as ``F("start_date")``): ``st_jurisdiction_id``,
    ``st_industry_id`` and ``st_above_scale``."""
    latest = EnterpriseStatus.objects.filter(enterprise=OuterRef(enterprise_field), valid_from__lte=day).order_by(
        "-valid_from"
    )
    return {
        "st_jurisdiction_id": Subquery(latest.values("jurisdiction_id")[:1]),
        "st_industry_id": Subquery(latest.values("industry_id")[:1]),
        "st_above_scale": Subquery(latest.values("above_scale")[:1]),
    }


def in_scope(subjects: QuerySet[Any], query: Query) -> QuerySet[Any]:
    """Narrow annotated subjects to the query's enterprise and jurisdiction subtree
    (judged by the status in force on the reference date)."""
    if query.enterprise is not None:
        subjects = subjects.filter(enterprise_id=query.enterprise.pk)
    if query.jurisdiction is not None:
        subtree = Jurisdiction.objects.filter(path__startswith=query.jurisdiction.path).values("pk")
        subjects = subjects.filter(st_jurisdiction_id__in=subtree)
    return subjects
