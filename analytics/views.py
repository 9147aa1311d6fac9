"""Statistics pages (§5) and published reports (§7).

Every figure on these pages comes from ``query_build`` (the checks and the
caller's scope shared by every door) and ``compute`` / ``people``. A refused
question is a page with the reason and its 400 or 403, never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from analytics.errors import AnalyticsError, InvalidQuery
from analytics.indicators import (
    EXPIRING,
    Figure,
    Indicator,
    Query,
    compute,
    group_by_label,
    indicator_get,
    indicators_all,
    people,
    people_status_checked,
)
from analytics.models import PublishedReport
from analytics.queries import may_read_statistics, query_build, reader_scope
from analytics.reports import may_publish, report_compare, report_publish, reports_visible_to
from analytics.routes import pages
from organizations.models import Enterprise, Jurisdiction
from organizations.selectors import enterprises_visible_to, subtree_q
from organizations.validators import mask_id_number

SCOPE_KEYS = ("from", "to", "jurisdiction", "enterprise")
TABLE_GROUPS = ("jurisdiction", "industry", "enterprise", "quarter", "year")
TREND_GROUPS = ("month", "quarter", "year")
PEOPLE_PER_PAGE = 50
# The server-side sort keys of a table: a column, and how a row sorts in it.
TABLE_SORTS: dict[str, Callable[[Any], Any]] = {
    "label": lambda row: row.label,
    "value": lambda row: row.numerator if row.denominator is None else (-1 if row.rate is None else row.rate),
    "counted": lambda row: row.numerator,
    "missing": lambda row: (row.denominator or 0) - row.numerator,
    "headcount": lambda row: row.denominator or 0,
}

View = Callable[..., HttpResponse]


def _group_label(group_by: str) -> str:
    labels = {"jurisdiction": _("Jurisdiction"), "industry": _("Industry"), "enterprise": _("Enterprise")}
    return labels.get(group_by, _("Period"))


# --- shared pieces ------------------------------------------------------------------------


def _statistics_readers(view: View) -> View:
    """For readers of statistics only (else 403); checked after the route's sign-in (else the login
    page) and method (else 405)."""

    @wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_read_statistics(request.user):
            raise PermissionDenied(_("Your account may not read statistics."))
        return view(request, *args, **kwargs)

    return page


def _scope_params(request: HttpRequest) -> dict[str, str]:
    """The period and scope asked for (shared by every page's links)."""
    return {k: request.GET[k].strip() for k in SCOPE_KEYS if request.GET.get(k, "").strip()}


def _url(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def _refused(request: HttpRequest, error: AnalyticsError, *, title: str = "") -> HttpResponse:
    return render(
        request,
        "analytics/refused.html",
        {"message": error.message, "field": getattr(error, "field", ""), "title": title or _("Analytics")},
        status=error.status,
    )


def _percent(value: float | None) -> str:
    if value is None:
        return "—"
    if 0 < value < 0.0005:
        return "<0.1%"  # a few residents of a whole population: not "0%", which reads as none
    text = f"{value * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _missing(indicator: Any, figure: Any) -> str:
    """How many are missing, where there is a list of them to open: not for a
    volume, nor for a rate over a population (residents trained in first aid)."""
    if figure.denominator is None or not indicator.people_match_total:
        return ""
    return _number(figure.denominator - figure.numerator)


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    value = round(float(value), 1)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def _value(indicator: Indicator, figure: Figure) -> str:
    """A rate as a percentage ("—" for a zero denominator, never 0 %); a volume as its number and unit."""
    if indicator.kind == "volume":
        unit = str(indicator.unit) if indicator.unit and str(indicator.unit) != "%" else ""
        return f"{_number(figure.numerator)} {unit}".strip()
    return _percent(figure.rate)


def _status(indicator: Indicator, figure: Figure) -> str:
    """The tile's colour: ok at or above target, warn from 90 % of it, bad below; none without both."""
    if indicator.kind == "volume" or indicator.target is None or figure.rate is None:
        return "none"
    if figure.rate >= indicator.target:
        return "ok"
    return "warn" if figure.rate >= 0.9 * indicator.target else "bad"


def _target(indicator: Indicator) -> str:
    if indicator.target is None:
        return ""
    return _percent(indicator.target) if indicator.kind == "rate" else _number(indicator.target)


def _extra_lines(extra: dict[str, Any]) -> list[str]:
    """The figures some indicators give beside their rate, as sentences."""
    lines = []
    if extra.get("expiring"):
        lines.append(
            _("%(n)s certificates expire within %(days)s days")
            % {"n": extra["expiring"], "days": extra.get("expiring_days", "")}
        )
    if extra.get("average_score") is not None:
        lines.append(_("Average score %(score)s") % {"score": extra["average_score"]})
    if extra.get("not_sat"):
        lines.append(_("%(n)s did not sit the exam") % {"n": extra["not_sat"]})
    if "exam_pass_rate" in extra:
        lines.append(
            _("Their exam pass rate: %(rate)s (%(passed)s of %(sat)s)")
            % {
                "rate": _percent(extra["exam_pass_rate"]),
                "passed": extra.get("exam_passed", 0),
                "sat": extra.get("exam_sat", 0),
            }
        )
    return lines


def _presets(today: dt.date) -> list[dict[str, Any]]:
    month_start = today.replace(day=1)
    last_month_end = month_start - dt.timedelta(days=1)
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_quarter_end = quarter_start - dt.timedelta(days=1)
    last_quarter_start = dt.date(last_quarter_end.year, 3 * ((last_quarter_end.month - 1) // 3) + 1, 1)
    options = [
        (_("This month"), month_start, today),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
        (_("This quarter"), quarter_start, today),
        (_("Last quarter"), last_quarter_start, last_quarter_end),
        (_("This year"), dt.date(today.year, 1, 1), today),
        (_("Last year"), dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    ]
    return [{"label": label, "from": a.isoformat(), "to": b.isoformat()} for label, a, b in options]


def _scope_name(query: Query) -> str:
    if query.enterprise is not None:
        return query.enterprise.name
    if query.jurisdiction is not None:
        return query.jurisdiction.name
    return _("Whole platform")


def _scope_choices(request: HttpRequest, query: Query) -> dict[str, Any]:
    """What the scope picker offers: the way up to the reader's own node, the
    children of the node shown, and the enterprises under it."""
    scope = reader_scope(request.user)
    node = query.jurisdiction or (query.enterprise.jurisdiction if query.enterprise else None)
    crumbs: list[Jurisdiction] = []
    children: list[Jurisdiction] = []
    enterprises: list[Enterprise] = []
    if scope is None or scope[0]:
        roots = scope[0] if scope is not None else None
        if node is not None:
            codes = [c for c in node.path.strip("/").split("/") if c]
            by_code = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
            crumbs = [
                by_code[c]
                for c in codes
                if c in by_code and (roots is None or any(by_code[c].path.startswith(p) for p in roots))
            ]
        children = list(
            Jurisdiction.objects.filter(parent=node) if node else Jurisdiction.objects.filter(parent__isnull=True)
        )
        visible = enterprises_visible_to(request.user)
        if node is not None:
            visible = visible.filter(subtree_q([node.path], "jurisdiction__path"))
        enterprises = list(visible.select_related("jurisdiction").order_by("name")[:300])
    elif scope[1]:
        enterprises = list(Enterprise.objects.filter(pk__in=scope[1]).select_related("jurisdiction").order_by("name"))
    regional = scope is None or bool(scope[0])
    return {"crumbs": crumbs, "children": children, "enterprises": enterprises, "node": node, "regional": regional}


def _page_context(request: HttpRequest, query: Query) -> dict[str, Any]:
    chosen = _scope_params(request)
    return {
        "query": query,
        "scope_name": _scope_name(query),
        "presets": _presets(query.today or timezone.localdate()),
        "chosen": chosen,
        "period": {"from": query.date_from.isoformat(), "to": query.date_to.isoformat()},
        "scope": _scope_choices(request, query),
        "export_formats": [("xlsx", _("Export to Excel")), ("csv", _("Export to CSV"))],
        "may_publish": may_publish(request.user),
    }


def _about_enterprises(params: dict[str, str], scope: tuple[list[str], list[int]] | None) -> bool:
    """Whether the question is confined to enterprises: an enterprise filter, or a reader who reads
    enterprises alone (an enterprise admin)."""
    return bool(params.get("enterprise")) or (scope is not None and not scope[0])


def _scope_of(query: Query) -> dict[str, str]:
    """The question's period, scope and the indicator's own parameters where asked for, as
    query-string values: what the links, the filters and the export carry on, so that a figure
    asked with ``pretraining_days=7`` keeps it down to its people and into its export."""
    params = {"from": query.date_from.isoformat(), "to": query.date_to.isoformat()}
    if query.jurisdiction is not None:
        params["jurisdiction"] = query.jurisdiction.code
    if query.enterprise is not None:
        params["enterprise"] = query.enterprise.credit_code
    params.update({name: str(value) for name, value in query.params.items()})
    return params


def _own_params(request: HttpRequest, indicator: Indicator) -> dict[str, str]:
    """The indicator's own parameters asked for in the URL (``query_build`` checks them)."""
    return {p.name: request.GET[p.name].strip() for p in indicator.params if request.GET.get(p.name, "").strip()}


def _param_fields(indicator: Indicator, query: Query) -> dict[str, Any]:
    """The filter form's inputs for the indicator's own parameters, with the values in force, and
    whether any differs from its default (the form then opens on them and says so)."""
    fields = [
        {
            "name": p.name,
            "label": p.label,
            "value": query.param(p.name),
            "default": p.default,
            "minimum": p.minimum,
            "maximum": p.maximum,
        }
        for p in indicator.params
    ]
    return {"fields": fields, "changed": any(f["value"] != f["default"] for f in fields)}


def tile(indicator: Indicator, query: Query, result: Any) -> dict[str, Any]:
    """A KPI tile (``analytics/_tile.html``): the figure against its target, and the links to the
    indicator and to the people missing (and, for a certificate rate, expiring). The overview's,
    and the home page's headline figures (``analytics.home``)."""
    scoped = _scope_of(query)
    missing = _missing(indicator, result.total)
    return {
        "indicator": indicator,
        "code": indicator.code,
        "name": indicator.name,
        "kind": indicator.kind,
        "value": _value(indicator, result.total),
        "target": _target(indicator),
        "numerator": _number(result.total.numerator),
        "denominator": _number(result.total.denominator),
        "missing": missing,
        "missing_text": str(indicator.missing_count) % {"n": missing} if indicator.missing_count else "",
        "status": _status(indicator, result.total),
        "url": _url("analytics:indicator", indicator=indicator.code, **scoped),
        "missing_url": _url("analytics:people", indicator=indicator.code, status="missing", **scoped),
        "expiring": result.extra.get("expiring", 0) if EXPIRING in indicator.statuses else 0,
        "expiring_url": _url("analytics:people", indicator=indicator.code, status=EXPIRING, **scoped),
    }


# --- pages --------------------------------------------------------------------------------


@pages.get("", name="overview")
@_statistics_readers
def overview(request: HttpRequest) -> HttpResponse:
    """A KPI tile per indicator against its target, for the period and scope chosen."""
    params = _scope_params(request)
    enterprises_only = _about_enterprises(params, reader_scope(request.user))
    tiles = []
    query = None
    try:
        for indicator in indicators_all():
            if enterprises_only and "enterprise" not in indicator.group_bys:
                continue  # about residents or regulators, who belong to no enterprise: always "—" here
            query = query_build(user=request.user, code=indicator.code, params=params)
            tiles.append(tile(indicator, query, compute(query)))
    except AnalyticsError as error:
        return _refused(request, error)
    if query is None:  # no indicator registered
        return render(request, "analytics/overview.html", {"tiles": [], "no_indicators": True})
    context = _page_context(request, query)
    # An enterprise admin reads the reports a bureau published for their enterprise, if any.
    context["reports_link"] = context["may_publish"] or reports_visible_to(request.user).exists()
    return render(request, "analytics/overview.html", {"tiles": tiles, **context})


def _table_rows(
    query: Query, indicator: Indicator, rows: list[Any], group_by: str, *, only_row: bool = False
) -> list[dict[str, Any]]:
    """The table's lines (``rows``: the page shown); ``only_row``: the whole breakdown is one row."""
    scoped = _scope_of(query)
    lines = []
    for row in rows:
        narrowed = dict(scoped)
        drill = ""
        if group_by == "jurisdiction":
            narrowed.pop("enterprise", None)
            narrowed["jurisdiction"] = row.key
            if query.jurisdiction is None or row.key != query.jurisdiction.code:
                drill = _url("analytics:indicator", indicator=indicator.code, **narrowed)
        elif group_by == "enterprise":
            narrowed["enterprise"] = row.key
            # The only row (one enterprise, or the question's own) would open the same figures again.
            if not only_row:
                drill = _url("analytics:indicator", indicator=indicator.code, **narrowed)
        people_ok = group_by in ("jurisdiction", "enterprise") and indicator.people_match_total
        lines.append(
            {
                "key": row.key,
                "label": row.label,
                "drill": drill,
                "value": _value(indicator, row),
                "rate": row.rate,
                "status": _status(indicator, row),
                "numerator": row.numerator,
                "denominator": row.denominator,
                "missing": row.denominator - row.numerator if row.denominator is not None else None,
                "counted_url": (
                    _url("analytics:people", indicator=indicator.code, status="counted", **narrowed)
                    if people_ok
                    else ""
                ),
                "missing_url": (
                    _url("analytics:people", indicator=indicator.code, status="missing", **narrowed)
                    if people_ok
                    else ""
                ),
                "all_url": _url("analytics:people", indicator=indicator.code, **narrowed) if people_ok else "",
            }
        )
    return lines


def _table_sort(request: HttpRequest) -> str:
    """The table's sort asked for (``sort``: a column of ``TABLE_SORTS``, ``-`` first
    for descending), checked before anything is counted."""
    sort = request.GET.get("sort", "label").strip() or "label"
    if sort.removeprefix("-") not in TABLE_SORTS:
        raise InvalidQuery(
            _("“%(value)s” is not a column to sort by; use one of %(allowed)s, with - before it for descending.")
            % {"value": sort, "allowed": ", ".join(TABLE_SORTS)},
            field="sort",
        )
    return sort


def _table_page(
    request: HttpRequest, indicator: Indicator, rows: list[Any], *, group_by: str, sort: str
) -> dict[str, Any]:
    """The table's rows and column headers. Up to ``ANALYTICS_TABLE_ROWS_PER_PAGE``
    rows: all of them, for the browser to sort and filter. More (a district's
    enterprises run to tens of thousands, too many for one page on a phone): the
    page asked for of the rows whose name or code contains ``q``, sorted by
    ``sort``, each header a link that sorts by its column."""
    per_page = settings.ANALYTICS_TABLE_ROWS_PER_PAGE
    paged = len(rows) > per_page
    table: dict[str, Any] = {"rows": rows, "paged": paged}
    needle = request.GET.get("q", "").strip() if paged else ""
    if paged:
        if needle:
            folded = needle.casefold()
            rows = [r for r in rows if folded in r.label.casefold() or folded in r.key.casefold()]
        rows = sorted(rows, key=TABLE_SORTS[sort.removeprefix("-")], reverse=sort.startswith("-"))
        page = Paginator(rows, per_page).get_page(request.GET.get("page"))
        table |= {
            "rows": list(page.object_list),
            "page": page,
            "matched": len(rows),
            "matched_text": _number(len(rows)),
            "q": needle,
            "hidden": [(k, v) for k, v in request.GET.items() if k not in ("q", "page")],
        }
    kept = request.GET.copy()
    kept.pop("page", None)
    columns = [("label", _group_label(group_by), "text")]
    columns.append(("value", _("Rate") if indicator.kind == "rate" else _("Value"), "number"))
    if indicator.kind == "rate":
        columns += [("counted", _("Counted"), "number"), ("missing", _("Missing"), "number")]
        # "Total", not "Headcount": the five columns fit a 390 px phone in English too.
        columns.append(("headcount", pgettext("indicator table column: everyone counted", "Total"), "number"))
    table["columns"] = []
    for name, label, kind in columns:
        kept["sort"] = name if sort != name else f"-{name}"
        order = "ascending" if sort == name else "descending" if sort == f"-{name}" else ""
        table["columns"].append(
            {"label": label, "kind": kind, "url": f"?{kept.urlencode()}", "order": order if paged else ""}
        )
    return table


def _chart_points(indicator: Indicator, rows: list[Any]) -> list[dict[str, Any]]:
    points = []
    for row in rows:
        if indicator.kind == "volume":
            value = round(float(row.numerator), 1)
        else:
            value = None if row.rate is None else round(row.rate * 100, 1)
        points.append({"key": row.key, "label": row.label, "value": value, "n": row.numerator, "d": row.denominator})
    return points


@pages.get("indicator/", name="indicator")
@_statistics_readers
def indicator_page(request: HttpRequest) -> HttpResponse:
    """One indicator: its trend by month, its breakdown, and the table that drills down."""
    params = _scope_params(request)
    code = request.GET.get("indicator", "")
    try:
        indicator = indicator_get(code)
        scope = reader_scope(request.user)
        enterprise_only = _about_enterprises(params, scope)
        preferred = ("enterprise", "jurisdiction") if enterprise_only else ("jurisdiction", "enterprise")
        supported = [g for g in (*preferred, "industry", "year", "quarter") if g in indicator.group_bys]
        group_by = request.GET.get("group_by") or (supported[0] if supported else "")
        if group_by and group_by not in TABLE_GROUPS:
            raise InvalidQuery(
                _("“%(value)s” is not a supported grouping; use one of %(allowed)s.")
                % {"value": group_by, "allowed": ", ".join(TABLE_GROUPS)},
                field="group_by",
            )
        own = _own_params(request, indicator)
        sort = _table_sort(request)
        query = query_build(user=request.user, code=code, params={**params, **own, "group_by": group_by})
        result = compute(query)
        trend = None
        trend_by = next((g for g in TREND_GROUPS if g in indicator.group_bys), None)
        if trend_by is not None:
            trend = compute(query_build(user=request.user, code=code, params={**params, **own, "group_by": trend_by}))
        table = _table_page(request, indicator, result.rows, group_by=group_by, sort=sort)
    except AnalyticsError as error:
        return _refused(request, error, title=_("Analytics"))
    scoped = _scope_of(query)
    trend_title = {"month": _("Trend by month"), "quarter": _("Trend by quarter"), "year": _("Trend by year")}.get(
        trend_by or "", ""
    )
    charts = {
        "kind": indicator.kind,
        "unit": "%" if indicator.kind == "rate" else str(indicator.unit or ""),
        "target": None if indicator.target is None else round(indicator.target * 100, 1),
        "trend": _chart_points(indicator, trend.rows) if trend else [],
        "bars": _chart_points(indicator, table["rows"]),
        "labels": {
            "trend": str(trend_title),
            "bars": _("Breakdown"),
            "target": _("Target"),
            "value": str(indicator.name),
            "none": _("no one counted"),
            "shown": _("The {n} lowest of {total} are drawn; the table below has them all.")
            if indicator.kind != "volume"
            else _("The {n} largest of {total} are drawn; the table below has them all."),
        },
    }
    # A question about one enterprise (an enterprise admin of one, or a filter) is not offered the
    # groupings by jurisdiction and industry: each would be a table of one row. The URL still takes them.
    one_enterprise = bool(params.get("enterprise")) or (enterprise_only and scope is not None and len(scope[1]) == 1)
    groupings = [
        (g, label, _url("analytics:indicator", indicator=code, group_by=g, **{**params, **own}))
        for g, label in ((g, group_by_label(g)) for g in ("jurisdiction", "industry", "enterprise", "quarter", "year"))
        if g in indicator.group_bys and not (one_enterprise and g in ("jurisdiction", "industry"))
    ]
    return render(
        request,
        "analytics/indicator.html",
        {
            **_page_context(request, query),
            "indicator": indicator,
            "definition": indicator.definition(),
            "group_by": group_by,
            "trend_title": trend_title,
            "groupings": groupings,
            "total": tile(indicator, query, result),  # the overview's tile: the same figures and links
            "extra_lines": _extra_lines(result.extra),
            "rows": _table_rows(query, indicator, table["rows"], group_by, only_row=len(result.rows) == 1),
            "table": table,
            "charts": charts,
            # A breakdown of one row (one enterprise, one year) is its total again: no chart for it.
            "show_breakdown": len(result.rows) > 1,
            "missing_url": _url("analytics:people", indicator=code, status="missing", **scoped),
            "counted_url": _url("analytics:people", indicator=code, status="counted", **scoped),
            "overview_url": _url("analytics:overview", **params),
            "scoped": scoped,
            "own_params": _param_fields(indicator, query),
        },
    )


@pages.get("people/", name="people")
@_statistics_readers
def people_page(request: HttpRequest) -> HttpResponse:
    """The people behind a figure, counted or missing, with the reason; paginated."""
    params = _scope_params(request)
    code = request.GET.get("indicator", "")
    status = request.GET.get("status", "") or None
    try:
        indicator = indicator_get(code)
        status = people_status_checked(code, status)
        own = _own_params(request, indicator)
        query = query_build(user=request.user, code=code, params={**params, **own})
        lines = people(query, status=status)
    except AnalyticsError as error:
        return _refused(request, error, title=_("People"))
    page = Paginator(lines, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    # Masked on screen for every reader, as the staff list and the person's file mask them (a
    # list on a screen is read over shoulders); the export gives a manager the full numbers.
    entries = [{"line": line, "id_number": mask_id_number(line.id_number)} for line in page.object_list]
    scoped = _scope_of(query)
    choices = [("missing", _("Missing")), ("counted", _("Counted"))]
    if EXPIRING in indicator.statuses:
        choices.append((EXPIRING, _("Expiring soon")))
    tabs = [
        (value, label, _url("analytics:people", indicator=code, status=value, **scoped))
        for value, label in (*choices, ("", _("Everyone")))
    ]
    return render(
        request,
        "analytics/people.html",
        {
            **_page_context(request, query),
            "indicator": indicator,
            "status": status or "",
            "tabs": tabs,
            "page": page,
            "entries": entries,
            "count": len(lines),
            "expiring_days": query.param("expiring_days") if status == EXPIRING else None,
            "indicator_url": _url("analytics:indicator", indicator=code, **scoped),
            "scoped": scoped,
            "own_params": _param_fields(indicator, query),
        },
    )


# --- published reports ----------------------------------------------------------------------


@pages.get("reports/", name="report_list")
@_statistics_readers
def report_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(reports_visible_to(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "analytics/report_list.html",
        {"page": page, "may_publish": may_publish(request.user), "scoped": _scope_params(request)},
    )


PUBLISH_ENTERPRISE_CHOICES = 1000


def _publish_choices(user: Any) -> dict[str, Any]:
    """What the publish form's pickers offer: the jurisdictions of the reader's
    subtrees, indented by depth, and the enterprises there (by name; the first
    ``PUBLISH_ENTERPRISE_CHOICES``, the credit code can still be typed)."""
    scope = reader_scope(user)
    nodes = Jurisdiction.objects.order_by("path")
    if scope is not None:
        nodes = nodes.filter(subtree_q(scope[0], "path"))
    jurisdictions = [(j.code, "\u3000" * (j.path.count("/") - 2) + j.name) for j in nodes]
    enterprises = enterprises_visible_to(user).order_by("name").values_list("credit_code", "name")
    return {"jurisdictions": jurisdictions, "enterprises": list(enterprises[:PUBLISH_ENTERPRISE_CHOICES])}


def _last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


@pages.route("reports/new/", name="report_new", methods=("GET", "POST"))
@_statistics_readers
def report_new(request: HttpRequest) -> HttpResponse:
    """Publish a period's figures as a report (月报/季报); bureau officials only."""
    if not may_publish(request.user):
        raise PermissionDenied(_("Only bureau officials publish reports."))
    data = request.POST if request.method == "POST" else request.GET
    start, end = _last_month(timezone.localdate())
    form = {
        "kind": data.get("kind", PublishedReport.Kind.MONTHLY),
        "title": data.get("title", ""),
        "from": data.get("from", start.isoformat()),
        "to": data.get("to", end.isoformat()),
        "jurisdiction": data.get("jurisdiction", ""),
        "enterprise": data.get("enterprise", ""),
        "group_by": data.get("group_by", "jurisdiction"),
        "indicators": data.getlist("indicators") if request.method == "POST" else [],
    }
    error = None
    if request.method == "POST":
        params = {k: form[k] for k in ("from", "to", "jurisdiction", "enterprise", "group_by") if form[k]}
        try:
            report = report_publish(
                user=request.user, kind=form["kind"], title=form["title"], codes=form["indicators"], params=params
            )
        except AnalyticsError as refused:
            error = refused
        else:
            return redirect("analytics:report_detail", pk=report.pk)
    chosen = set(form["indicators"]) if request.method == "POST" else {i.code for i in indicators_all()}
    return render(
        request,
        "analytics/report_new.html",
        {
            "form": form,
            "kinds": PublishedReport.Kind.choices,
            "indicators": [(i, i.code in chosen) for i in indicators_all()],
            "groupings": [(g, group_by_label(g)) for g in ("jurisdiction", "industry", "enterprise")]
            + [("", group_by_label(None))],
            "error": error,
            **_publish_choices(request.user),
        },
        status=error.status if error else 200,
    )


@pages.get("reports/<id:pk>/", name="report_detail")
@_statistics_readers
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The frozen figures beside today's, and every person whose status changed since."""
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    comparisons = []
    for c in report_compare(report=report):
        try:
            indicator: Indicator | None = indicator_get(c.figure.indicator)
        except AnalyticsError:
            indicator = None
        frozen = c.frozen_total
        rate = c.figure.kind == "rate"  # a volume's value is its number: no "n / d" beside it
        comparisons.append(
            {
                "c": c,
                "then": _value(indicator, frozen) if indicator else _percent(frozen.rate),
                "now": _value(indicator, c.today.total) if indicator and c.today else "—",
                "then_nd": (_number(frozen.numerator), _number(frozen.denominator)),
                "now_nd": (
                    (_number(c.today.total.numerator), _number(c.today.total.denominator)) if c.today else ("—", "—")
                ),
                "differs": bool(
                    c.today
                    and (c.today.total.numerator, c.today.total.denominator) != (frozen.numerator, frozen.denominator)
                ),
                "rows": [
                    {
                        "label": row["label"],
                        "then": (
                            _value(indicator, Figure(row["numerator"], row["denominator"]))
                            if indicator
                            else _number(row["numerator"])
                        ),
                        "then_nd": f"{_number(row['numerator'])}/{_number(row['denominator'])}" if rate else "",
                        "now": _value(indicator, now) if indicator and now else "—",
                        "now_nd": (f"{_number(now.numerator)}/{_number(now.denominator)}" if now else "—")
                        if rate
                        else "",
                        "differs": now is None
                        or (now.numerator, now.denominator) != (row["numerator"], row["denominator"]),
                    }
                    for row, now in c.rows
                ],
            }
        )
    return render(
        request,
        "analytics/report_detail.html",
        {"report": report, "comparisons": comparisons, "group_label": _group_label(report.group_by)},
    )
