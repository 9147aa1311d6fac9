"""The indicator machinery: questions, answers, the registry and the grouping.

What each indicator counts lives in ``analytics.definitions`` (one module, one
class per indicator). This module is the contract every door uses: the web
pages, the API, the ``export_indicators`` command, exports and published
reports all build a ``Query`` (``analytics.queries.query_build`` checks it and
the caller's scope) and call ``compute`` or ``people``.

An indicator describes its *subjects* (the employments, people or sessions it
counts) as one annotated queryset; ``compute`` groups and counts them in SQL
(``COUNT(*)`` and a filtered ``COUNT``, or a volume's ``SUM``/distinct
``COUNT``: ``Indicator.aggregates``), never row by row in Python. A yearly
indicator gives one queryset per calendar year (``Indicator.parts``), added
up; a stock counted on one day (``Indicator.trend``) grouped by month,
quarter or year gives its figure on each period's last day. ``with_status``
joins the enterprise status in force on each subject's reference date.
"""

from __future__ import annotations

import datetime as dt
import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from operator import attrgetter, itemgetter
from typing import Any, ClassVar

from django.db import models
from django.db.models import Aggregate, Count, F, OuterRef, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from analytics.errors import InvalidQuery, UnknownIndicator
from analytics.facts import facts_active
from core.db import collector_paused, values_fetched, values_named
from organizations.models import Enterprise, EnterpriseStatus, Industry, Jurisdiction

GROUP_BYS = ("jurisdiction", "industry", "enterprise", "month", "quarter", "year")
STATUSES = ("counted", "missing")  # what a person line is
# A people list's extra filter: counted holders whose certificate runs out within ``expiring_days``.
EXPIRING = "expiring"


def group_by_label(group_by: str | None) -> str:
    """A grouping as users read it (按企业 …), in the active language."""
    labels = {
        "jurisdiction": _("By jurisdiction"),
        "industry": _("By industry"),
        "enterprise": _("By enterprise"),
        "month": _("By month"),
        "quarter": _("By quarter"),
        "year": _("By year"),
    }
    return labels[group_by] if group_by else _("No breakdown")


def status_label(status: str | None) -> str:
    """A people list's status (``counted`` / ``missing``; none: both) as users read it."""
    labels = {"counted": _("counted"), "missing": _("missing"), EXPIRING: _("certificates expiring")}
    return labels[status] if status else _("counted and missing")


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


@dataclass(slots=True)
class Figure:
    """A rate's numerator and denominator; for a volume indicator the numerator
    is the value (hours, learners, completions) and the denominator ``None``.

    Grouped by enterprise, a question builds tens of thousands of rows: a plain
    slotted dataclass builds in half the time of a frozen one (which sets each
    field through ``object.__setattr__``). Nothing changes a figure once built;
    ``dataclasses.replace`` makes a changed copy."""

    numerator: float
    denominator: int | None

    @property
    def rate(self) -> float | None:
        """A fraction between 0 and 1; ``None`` for a zero denominator (shown as "—", never 0 %) and for volumes."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass(slots=True)
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
    # One people line per unit of the denominator (counted = numerator).
    people_match_total: ClassVar[bool] = True
    # The statuses its people list can be filtered by (the certificate rates add EXPIRING).
    statuses: ClassVar[tuple[str, ...]] = STATUSES
    # Where the denominator is not a list of people (a population), the name of
    # the list ``people(status="missing")`` gives instead, if any.
    missing_label: ClassVar[Promise | None] = None
    # What the overview's tile says under the figure, with ``%(n)s`` for how many are
    # missing; None: "N missing" (未达标). An exam's missing are sittings not passed.
    missing_count: ClassVar[Promise | None] = None
    # True for a stock counted on one day (certificates held on ``as_of``):
    # grouped by month, quarter or year it gives the figure on each period's
    # last day (or ``as_of``), a trend whose last row is the total.
    trend: ClassVar[bool] = False
    # True when ``aggregates`` counts distinct values (learners), which groups
    # cannot simply add up.
    distinct_counts: ClassVar[bool] = False
    # True when ``compute`` can read its subjects from the pre-aggregated facts
    # (``analytics.facts``): its ``subjects``/``evaluate`` switch on ``facts_active()``.
    has_facts: ClassVar[bool] = False
    # Where it stands in every list of indicators (statistics page, API, exports, report form): the
    # plans' headline indicator first, then as the issue's definitions number them.
    rank: ClassVar[int] = 1000

    # What the indicator counts in plain words for its users (numerator, denominator,
    # reference dates), translated: the statistics page, the exports' metadata and
    # the API's ``definition``. The docstring stays the exact, technical statement
    # (the API's ``definition_exact``).
    summary: ClassVar[Promise | None] = None

    @classmethod
    def definition(cls) -> str:
        """The definition in the active language (``summary``; else the docstring)."""
        return str(cls.summary) if cls.summary is not None else cls.definition_exact()

    @classmethod
    def definition_exact(cls) -> str:
        """The docstring: numerator, denominator and reference dates, exactly (in English)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def param(cls, name: str) -> Param:
        """The parameter called ``name`` (KeyError if there is none)."""
        return {p.name: p for p in cls.params}[name]

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
        """How many lines ``people`` has (the API's pages and the export's
        progress bar trust it). For a rate whose people are its denominator
        (``people_match_total``), read off the figure in SQL; otherwise count
        the lines."""
        if self.kind == "rate" and self.people_match_total:
            total, _rows = self.figures(replace(query, group_by=None))
            numerator, denominator = int(total.numerator), total.denominator or 0
            return {"counted": numerator, "missing": denominator - numerator}.get(status or "", denominator)
        return sum(1 for _line in self.people_iter(query, status=status))

    def extras(self, query: Query, subjects: QuerySet[Any]) -> dict[str, Any]:
        return {}

    def parts(self, query: Query) -> list[QuerySet[Any]]:
        """The subjects as one queryset per part; an indicator counted once per
        calendar year (annual retraining) returns one part per year, summed."""
        return [self.subjects(query)]

    def aggregates(self) -> dict[str, Aggregate]:
        """How a group of subjects becomes a figure: for a rate ``COUNT(*)``
        and the ``COUNT`` of counted subjects; for a volume the ``SUM`` of the
        subjects' ``value`` (override for a distinct count)."""
        if self.kind == "volume":
            return {"numerator": models.Sum("value")}
        return {"denominator": Count(row_key()), "numerator": Count(row_key(), filter=Q(counted=True))}

    def figures(self, query: Query) -> tuple[Figure, list[Row]]:
        """The total and the grouped rows, counted in SQL over ``parts``."""
        if self.trend and query.group_by in _TRUNC:
            return self._trend(query)
        total: list[float | None] = [0, None if self.kind == "volume" else 0]
        merged: dict[str, list[Any]] = {}
        # Grouped, a count's total is the sum of all its groups (those no row
        # shows included): one grouped query per part instead of two passes.
        # A float sum keeps its own total (added up in another order it could
        # differ in the last digit) and distinct counts cannot be added.
        counts_only = all(isinstance(a, Count) and not a.distinct for a in self.aggregates().values())
        # On the facts a sum's total is its groups' too (equal to the last digits of a float).
        one_pass = query.group_by is not None and (counts_only or facts_active()) and not self.distinct_counts
        parts = self.parts(query)
        for part in parts:
            tally = Tally(aggregates=self.aggregates()) if one_pass else None
            part_rows = grouped_rows(query, part, self, tally=tally)
            if tally is not None:
                got = {k: tally.total(k) for k in ("numerator", "denominator")}
            else:
                got = part.order_by().aggregate(**self.aggregates())
            _add(total, got)
            if len(parts) == 1:  # nothing to merge (tens of thousands of rows by enterprise)
                return Figure(numerator=total[0] or 0, denominator=total[1]), rows_sorted(query, part_rows)
            for row in part_rows:
                acc = merged.setdefault(row.key, [row.label, [0, None if self.kind == "volume" else 0]])
                _add(acc[1], {"numerator": row.numerator, "denominator": row.denominator})
        rows = [Row(key=k, label=v[0], numerator=v[1][0], denominator=v[1][1]) for k, v in merged.items()]
        return Figure(numerator=total[0] or 0, denominator=total[1]), rows_sorted(query, rows)

    def evaluate(self, query: Query) -> tuple[Figure, list[Row], dict[str, Any]]:
        """What ``compute`` returns: ``figures`` and ``extras``. An indicator
        whose extras are aggregates of the same subjects overrides this to
        count them in one pass."""
        total, rows = self.figures(query)
        return total, rows, self.extras(query, self.subjects(query))

    def _trend(self, query: Query) -> tuple[Figure, list[Row]]:
        rows = []
        for day in period_ends(query):
            got = self.subjects(replace(query, date_to=day, group_by=None)).order_by().aggregate(**self.aggregates())
            key = period_key(str(query.group_by), day)
            rows.append(Row(key=key, label=key, **_nd(got)))
        total = rows[-1] if rows else Row(numerator=0, denominator=0)
        return Figure(numerator=total.numerator, denominator=total.denominator), rows


def row_key() -> str:
    """What ``COUNT`` counts subjects by: the primary key, or on the facts
    ``ref_date`` (every subject has one, never null), which the facts'
    covering indexes hold, so a count is read from the index alone."""
    return "ref_date" if facts_active() else "pk"


_REGISTRY: dict[str, Indicator] = {}


def register(cls: type[Indicator]) -> type[Indicator]:
    _REGISTRY[cls.code] = cls()
    return cls


def indicators_all() -> list[Indicator]:
    """Every indicator, by ``rank`` (then by registration)."""
    return sorted(_REGISTRY.values(), key=attrgetter("rank"))


def indicator_get(code: str) -> Indicator:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise UnknownIndicator(_("There is no indicator “%(code)s”.") % {"code": code}) from None


# --- grouping ------------------------------------------------------------------------------


class PeriodStart(Trunc):
    """The first day of the month, quarter or year (``kind``) of a date. On
    PostgreSQL over a ``timestamp``: ``DATE_TRUNC`` over a ``date`` goes through
    ``timestamptz`` and a time-zone conversion per row, a quarter of a grouped
    count over a year of fact rows."""

    output_field = models.DateField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.lhs)
        return f"DATE_TRUNC(%s, ({sql})::timestamp)::date", (self.kind, *params)


_TRUNC = ("month", "quarter", "year")


def period_key(group_by: str, day: dt.date) -> str:
    if group_by == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if group_by == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def rows_sorted(query: Query, rows: list[Row]) -> list[Row]:
    """Rows in the order every door shows them: enterprises by name, the rest by key."""
    return sorted(rows, key=attrgetter("label" if query.group_by == "enterprise" else "key"))


def _add(acc: list[Any], got: Mapping[str, Any]) -> None:
    acc[0] += got.get("numerator") or 0
    if acc[1] is not None:
        acc[1] += got.get("denominator") or 0


@dataclass
class Tally:
    """Optional companion of ``grouped_rows``: other ``aggregates`` to count
    per group instead of ``Indicator.aggregates()``, each added up over every
    group counted (``totals``, those no row shows included), so a caller can
    take its total from the same single grouped query."""

    aggregates: dict[str, Aggregate]
    totals: dict[str, Any] = field(default_factory=dict)

    def total(self, name: str) -> Any:
        return self.totals.get(name, 0)


def _counts(qs: QuerySet[Any], ind: Indicator, *group: str, tally: Tally | None = None) -> list[dict[str, Any]]:
    """``qs`` counted per ``group``: a dict per group (for the short groupings)."""
    aggregates = tally.aggregates if tally is not None else ind.aggregates()
    names = (*group, *aggregates)
    return [dict(zip(names, g, strict=True)) for g in _grouped(qs, aggregates, group, tally)]


def _grouped(
    qs: QuerySet[Any],
    aggregates: dict[str, Aggregate],
    group: tuple[str, ...],
    tally: Tally | None,
    *,
    named: tuple[Any, str] | None = None,
) -> list[tuple[Any, ...]]:
    """``(*group, *aggregates)`` tuples, one per group; with ``tally``, each aggregate
    summed over them (in the same order as the groups, so a float sum is reproducible).
    With ``named`` (a model and its key field; ``group`` is one id of it), each tuple is
    led by the object's key and name, in the order of names (``values_named``)."""
    values = qs.order_by().values(*group).annotate(**aggregates).values_list(*group, *aggregates)
    got = values_fetched(values) if named is None else values_named(values, *named)
    if tally is not None:
        start = len(group) + (2 if named else 0)
        for i, name in enumerate(aggregates, start=start):
            tally.totals[name] = tally.total(name) + sum(filter(None, map(itemgetter(i), got)))
    return got


def _nd(g: Mapping[str, Any]) -> dict[str, Any]:
    return {"numerator": g.get("numerator") or 0, "denominator": g.get("denominator")}


def grouped_rows(
    query: Query, subjects: QuerySet[Any], ind: Indicator, *, tally: Tally | None = None, distinct: bool | None = None
) -> list[Row]:
    """``subjects`` counted per group. ``distinct`` (default: the indicator's
    ``distinct_counts``) says whether a jurisdiction's groups can be added up to its children."""
    by = query.group_by
    if by is None:
        return []
    if by in _TRUNC and not ind.distinct_counts and "ref_date" not in subjects.query.annotations:
        # Counts and sums over a fact table's own day column add up: grouped by
        # day in SQL (no truncation per row, a few hundred groups a year) and the
        # days added up to their periods here. (An annotated reference date may
        # be one constant, whose ungrouped count gives a row even when empty.)
        periods: dict[str, list[Any]] = {}
        volume = ind.kind == "volume"
        for g in _counts(subjects, ind, "ref_date", tally=tally):
            if g["ref_date"] is not None:
                _add(periods.setdefault(period_key(by, g["ref_date"]), [0, None if volume else 0]), g)
        return [Row(key=k, label=k, numerator=v[0], denominator=v[1]) for k, v in sorted(periods.items())]
    if by in _TRUNC:
        grouped = _counts(subjects.annotate(period=PeriodStart("ref_date", by)), ind, "period", tally=tally)
        rows = [(period_key(by, g["period"]), g) for g in grouped if g["period"] is not None]
        return [Row(key=k, label=k, **_nd(g)) for k, g in sorted(rows, key=lambda kg: kg[0])]
    if by == "industry":
        return _named_rows(subjects, ind, tally, "st_industry_id", Industry, "code")
    if by == "enterprise":
        return _named_rows(subjects, ind, tally, "enterprise_id", Enterprise, "credit_code")
    return _jurisdiction_rows(query, subjects, ind, tally, ind.distinct_counts if distinct is None else distinct)


def _named_rows(
    subjects: QuerySet[Any], ind: Indicator, tally: Tally | None, column: str, model: Any, key: str
) -> list[Row]:
    """A row per group of ``column`` (an id of ``model``), keyed by the object's ``key`` attribute
    and labelled with its name, in the order of names; groups whose object is gone are left out.

    By enterprise a city has tens of thousands of rows: SQL joins their names on
    (``values_named``, which sorts them), and they are built from its tuples directly."""
    aggregates = tally.aggregates if tally is not None else ind.aggregates()
    grouped = _grouped(subjects, aggregates, (column,), tally, named=(model, key))
    at = {name: i for i, name in enumerate(aggregates, start=3)}
    numerator, denominator = at.get("numerator"), at.get("denominator")
    # Positional (numerator, denominator, key, label): half the time of keywords for 50,000 rows.
    return [
        Row((g[numerator] or 0) if numerator else 0, g[denominator] if denominator else None, g[0], g[1])
        for g in grouped
        if g[1] is not None
    ]


def scope_node(query: Query) -> Jurisdiction | None:
    """The node whose children ``group_by=jurisdiction`` lists: the one asked
    for, else the asked enterprise's jurisdiction, else none (the roots)."""
    if query.jurisdiction is not None:
        return query.jurisdiction
    if query.enterprise is not None:
        return query.enterprise.jurisdiction
    return None


def _jurisdiction_rows(
    query: Query, subjects: QuerySet[Any], ind: Indicator, tally: Tally | None = None, distinct: bool = False
) -> list[Row]:
    """One row per child of the node asked for. A subject placed on the node
    itself gets the node's own row; every child gets a row, with "—" where
    nobody is counted.

    Counts and sums are grouped in SQL by the jurisdiction in force and rolled
    up to the children (one group per jurisdiction, not per subject). A
    distinct count cannot be added up, so for it the SQL maps each subject's
    jurisdiction to its child (a CASE over the children's subtrees) and
    groups by that."""
    node = scope_node(query)
    children = (
        list(Jurisdiction.objects.filter(parent=node))
        if node
        else list(Jurisdiction.objects.filter(parent__isnull=True))
    )
    labels = {c.code: c.name for c in children}
    if node is not None:
        labels[node.code] = node.name
    volume = ind.kind == "volume"
    if distinct:
        whens = [
            models.When(
                st_jurisdiction_id__in=Jurisdiction.objects.filter(path__startswith=c.path).values("pk"),
                then=models.Value(c.code),
            )
            for c in children
        ]
        own = models.Value(node.code) if node is not None else models.Value(None, output_field=models.CharField())
        owner = models.Case(*whens, default=own, output_field=models.CharField()) if whens else own
        found = {
            g["owner"]: _nd(g) for g in _counts(subjects.annotate(owner=owner), ind, "owner", tally=tally) if g["owner"]
        }
    else:
        grouped = _counts(subjects, ind, "st_jurisdiction_id", tally=tally)
        paths = dict(
            Jurisdiction.objects.filter(pk__in=[g["st_jurisdiction_id"] for g in grouped]).values_list("pk", "path")
        )
        found = {}
        for g in grouped:
            path = paths.get(g["st_jurisdiction_id"], "")
            owner = next((c for c in children if path.startswith(c.path)), node)
            if owner is None:
                continue
            acc = found.setdefault(owner.code, {"numerator": 0, "denominator": None if volume else 0})
            _add_to(acc, _nd(g))
    rows = [Row(key=k, label=labels.get(k, k), **v) for k, v in found.items()]
    rows += [
        Row(key=c.code, label=c.name, numerator=0, denominator=None if volume else 0)
        for c in children
        if c.code not in found
    ]
    return rows


def _add_to(acc: dict[str, Any], got: Mapping[str, Any]) -> None:
    acc["numerator"] += got.get("numerator") or 0
    if acc["denominator"] is not None:
        acc["denominator"] += got.get("denominator") or 0


def compute(query: Query, *, live: bool = False) -> Result:
    """The indicator's total and, with ``group_by``, its rows.

    Read from the pre-aggregated facts (``analytics.facts``) where the
    indicator has them and they are exact now (nothing pending after a short
    inline refresh), else from the live SQL over the raw rows; ``live=True``
    always reads the live SQL (the bench and the tests compare both)."""
    from analytics.facts import facts_ready, reading_facts

    indicator = indicator_get(query.code)
    with reading_facts(not live and indicator.has_facts and facts_ready()), collector_paused():
        total, rows, extra = indicator.evaluate(query)
    return Result(query=query, total=total, rows=rows, extra=extra)


def people_status_checked(code: str, status: str | None) -> str | None:
    """``status`` if the indicator's people list takes it (None: everyone); ``InvalidQuery``
    naming the field otherwise. Every door (pages, export, API, command) asks here."""
    indicator = indicator_get(code)
    if status is None or status in indicator.statuses:
        return status
    raise InvalidQuery(
        _("“%(value)s” is not a status of this list; use %(allowed)s.")
        % {"value": status, "allowed": ", ".join(indicator.statuses)},
        field="status",
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


def status_in_force(enterprise_field: str, day: Any) -> dict[str, models.Subquery]:
    """Annotations for the enterprise status in force on ``day`` (a date or an
    expression such as ``F("start_date")``): ``st_jurisdiction_id``,
    ``st_industry_id`` and ``st_above_scale``."""
    if isinstance(day, F):  # a column of the outer row, read from inside the subquery
        day = OuterRef(day.name)
    latest = EnterpriseStatus.objects.filter(enterprise=OuterRef(enterprise_field), valid_from__lte=day).order_by(
        "-valid_from"
    )
    return {
        "st_jurisdiction_id": models.Subquery(latest.values("jurisdiction_id")[:1]),
        "st_industry_id": models.Subquery(latest.values("industry_id")[:1]),
        "st_above_scale": models.Subquery(latest.values("above_scale")[:1]),
    }


def with_status(subjects: QuerySet[Any], day: Any, *, enterprise_field: str = "enterprise") -> QuerySet[Any]:
    """``subjects`` annotated with ``st_jurisdiction_id``, ``st_industry_id`` and
    ``st_above_scale`` from the enterprise status in force on ``day`` (a date
    or ``F("column")``), by a join rather than a subquery per column: the
    status rows on or before the day, less any with a later one also on or
    before it (an anti-join on the ``(enterprise, valid_from)`` index), so
    exactly one row per subject and every later reference is a plain column.
    ``enterprise_field`` is the subjects' foreign key to the enterprise."""
    outer_day = OuterRef(day.name) if isinstance(day, F) else day
    later = EnterpriseStatus.objects.filter(
        enterprise_id=OuterRef(f"{enterprise_field}_id"),
        valid_from__gt=OuterRef("st_valid_from"),
        valid_from__lte=outer_day,
    )
    relation = f"{enterprise_field}__statuses"
    return subjects.annotate(
        st=models.FilteredRelation(relation, condition=Q(**{f"{relation}__valid_from__lte": day})),
        st_valid_from=F("st__valid_from"),
        st_jurisdiction_id=F("st__jurisdiction_id"),
        st_industry_id=F("st__industry_id"),
        st_above_scale=F("st__above_scale"),
    ).filter(~models.Exists(later))


def in_scope(subjects: QuerySet[Any], query: Query) -> QuerySet[Any]:
    """Narrow annotated subjects to the query's enterprise and jurisdiction subtree
    (judged by the status in force on the reference date)."""
    if query.enterprise is not None:
        subjects = subjects.filter(enterprise_id=query.enterprise.pk)
    if query.jurisdiction is not None:
        subjects = subjects.filter(placed_in_subtree(query.jurisdiction))
    return subjects


def placed_in_subtree(node: Jurisdiction) -> Q:
    """Subjects whose jurisdiction in force lies in ``node``'s subtree. When the
    subtree is the whole tree (a district's platform asked about the district,
    its root), that is every subject placed in a jurisdiction at all: a plain
    ``IS NOT NULL`` instead of a semi-join every row passes (a quarter of a
    grouped count over millions of fact rows)."""
    if is_whole_tree(node):
        return Q(st_jurisdiction_id__isnull=False)
    return Q(st_jurisdiction_id__in=Jurisdiction.objects.filter(path__startswith=node.path).values("pk"))


def is_whole_tree(node: Jurisdiction) -> bool:
    """True when no jurisdiction lies outside ``node``'s subtree (one indexed probe of the small tree)."""
    return not Jurisdiction.objects.exclude(path__startswith=node.path).exists()


def industry_ids(*, key: bool | None = None, high_risk: bool | None = None) -> list[int]:
    """Ids of the industries with the given flags (the catalogue is small, so
    a subject's flags are read from ``st_industry_id`` without a join)."""
    qs = Industry.objects.all()
    if key is not None:
        qs = qs.filter(is_key=key)
    if high_risk is not None:
        qs = qs.filter(is_high_risk=high_risk)
    return list(qs.values_list("pk", flat=True))


def years_of(query: Query) -> list[tuple[int, dt.date]]:
    """The calendar years of the period that have begun by ``as_of``, each with
    its own reference date: 31 December, or ``as_of`` within its year."""
    as_of = query.as_of
    return [
        (year, min(dt.date(year, 12, 31), as_of))
        for year in range(query.date_from.year, query.date_to.year + 1)
        if dt.date(year, 1, 1) <= as_of
    ]


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of a local day, for index-friendly datetime ranges."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def within_period(field: str, query: Query) -> Q:
    """``field``, an instant, on a local day within ``[date_from, as_of]`` (an index-friendly range)."""
    return Q(
        **{f"{field}__gte": day_start(query.date_from), f"{field}__lt": day_start(query.as_of + dt.timedelta(days=1))}
    )


def period_ends(query: Query) -> list[dt.date]:
    """The last day of each month, quarter or year (``query.group_by``) of the
    period that has begun by ``as_of``, the last one cut at ``as_of``."""
    months = {"month": 1, "quarter": 3, "year": 12}[str(query.group_by)]
    as_of = query.as_of
    first = query.date_from.month - 1
    first -= first % months
    year, month0 = query.date_from.year, first
    ends = []
    while dt.date(year, month0 + 1, 1) <= as_of:
        nxt_year, nxt_month0 = (year, month0 + months) if month0 + months < 12 else (year + 1, month0 + months - 12)
        ends.append(min(dt.date(nxt_year, nxt_month0 + 1, 1) - dt.timedelta(days=1), as_of))
        year, month0 = nxt_year, nxt_month0
    return ends
