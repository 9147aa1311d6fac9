"""The statistics API (``/api/v1/stats/…``): the indicators, their figures and the people behind them.

Every call goes through ``analytics.queries.query_build`` (the same checks and
the same scope as the pages, exports and the command) and then
``analytics.indicators.compute`` or ``people``. A bad parameter is a 400 whose
``errors`` name it; another district's jurisdiction, or an enterprise that is
not the caller's, is a 403.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import serializers as out
from analytics.errors import AnalyticsError
from analytics.indicators import (
    EXPIRING,
    GROUP_BYS,
    STATUSES,
    Figure,
    Indicator,
    PersonLine,
    Query,
    compute,
    indicator_get,
    indicators_all,
    people_count,
    people_iter,
    people_status_checked,
)
from analytics.queries import may_read_statistics, query_build
from analytics.routes import endpoints
from core.api_errors import with_errors
from organizations.models import Person
from organizations.selectors import id_numbers_shown_to

TAGS = ["statistics"]
LANGUAGES = ("zh-hans", "en")


def _indicator_params() -> list[OpenApiParameter]:
    """Every indicator's own parameters (each applies to the indicators that define it)."""
    seen: dict[str, str] = {}
    for ind in indicators_all():
        for p in ind.params:
            seen.setdefault(p.name, f"{p.label} (default {p.default}; {ind.code} and others that define it)")
    return [OpenApiParameter(name, int, description=text) for name, text in sorted(seen.items())]


QUERY_PARAMETERS = [
    OpenApiParameter("from", str, description="First day, YYYY-MM-DD (default: 1 January of `to`'s year)."),
    OpenApiParameter("to", str, description="Last day, YYYY-MM-DD, inclusive (default: today)."),
    OpenApiParameter("jurisdiction", str, description="Jurisdiction code: that subtree (default: the caller's)."),
    OpenApiParameter("enterprise", str, description="Unified social credit code: that enterprise only."),
    OpenApiParameter("group_by", str, enum=list(GROUP_BYS), description="Rows by this (default: the total only)."),
]


def _reader(request: Request) -> None:
    if not may_read_statistics(request.user):
        raise PermissionDenied()


def _refusal(exc: AnalyticsError) -> Response:
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    field = exc.details.get("field")
    if field == "indicator":
        field = "code"  # the path parameter's name
    return Response(with_errors(body, exc.status, field=field), status=exc.status)


def _params(request: Request) -> dict[str, Any]:
    return {k: request.query_params.get(k) for k in request.query_params}


def _figure(f: Figure) -> dict[str, Any]:
    return {"numerator": f.numerator, "denominator": f.denominator, "rate": f.rate}


def _describe(ind: Indicator) -> dict[str, Any]:
    names = {}
    for language in LANGUAGES:
        with translation.override(language):
            names[language] = str(ind.name)
    return {
        "code": ind.code,
        "name": str(ind.name),
        "names": names,
        "kind": ind.kind,
        "unit": str(ind.unit),
        "target": ind.target,
        "definition": ind.definition(),
        "definition_exact": ind.definition_exact(),
        "group_bys": list(ind.group_bys),
        "people_statuses": list(ind.statuses),
        "parameters": [
            {"name": p.name, "label": str(p.label), "default": p.default, "minimum": p.minimum, "maximum": p.maximum}
            for p in ind.params
        ],
    }


@endpoints.route("stats/indicators/", name="stats-indicators")
class IndicatorListView(APIView):
    @extend_schema(
        tags=TAGS, responses=out.StatsIndicatorOut(many=True), summary="The indicators and their definitions"
    )
    def get(self, request: Request) -> Response:
        _reader(request)
        return Response(out.StatsIndicatorOut([_describe(i) for i in indicators_all()], many=True).data)


def _result_body(query: Query) -> dict[str, Any]:
    result = compute(query)
    ind = indicator_get(query.code)
    return {
        "indicator": query.code,
        "name": str(ind.name),
        "kind": ind.kind,
        "unit": str(ind.unit),
        "target": ind.target,
        "period": {"from": query.date_from, "to": query.date_to},
        "as_of": query.as_of,
        "scope": {
            "jurisdiction": query.jurisdiction.code if query.jurisdiction else None,
            "enterprise": query.enterprise.credit_code if query.enterprise else None,
        },
        "group_by": query.group_by,
        "params": {p.name: query.param(p.name) for p in ind.params},
        "total": _figure(result.total),
        "rows": result.rows,
        "extra": result.extra,
    }


def _result_out(query: Query) -> dict[str, Any]:
    """``StatsResultOut`` of the question's result; the rows, which can run to
    tens of thousands, are represented apart (``rows_represented``)."""
    body = _result_body(query)
    rows = body.pop("rows")
    data = out.StatsResultOut({**body, "rows": []}).data
    data["rows"] = out.rows_represented(rows)
    return data


@endpoints.route("stats/indicators/<str:code>/", name="stats-indicator")
class IndicatorView(APIView):
    @extend_schema(
        tags=TAGS,
        parameters=[*QUERY_PARAMETERS, *_indicator_params()],
        responses=out.StatsResultOut,
        summary="One indicator's total and, with group_by, its rows",
    )
    def get(self, request: Request, code: str) -> Response:
        _reader(request)
        try:
            query = query_build(user=request.user, code=code, params=_params(request))
        except AnalyticsError as exc:
            return _refusal(exc)
        return Response(_result_out(query))


class _Lines:
    """The people of a query as the paginator sees them: a length (one SQL count) and the
    page's slice read from ``people_iter``, so a page never builds the whole list."""

    def __init__(self, query: Query, status: str | None) -> None:
        self.query, self.status = query, status

    def __len__(self) -> int:
        return people_count(self.query, status=self.status)

    def __getitem__(self, page: slice) -> list[PersonLine]:
        return list(islice(people_iter(self.query, status=self.status), page.start, page.stop))


class PeoplePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def _paging_refused(request: Request) -> Response | None:
    """A malformed ``page`` or ``page_size`` is a 400 naming it, where the paginator would
    answer 404 (``page=abc``) or quietly use its default (``page_size=0``, ``-5``, ``5000``).
    A well-formed page past the end stays a 404: that page does not exist."""
    limits = {"page": (1, None), "page_size": (1, PeoplePagination.max_page_size)}
    for name, (low, high) in limits.items():
        raw = request.query_params.get(name)
        if raw in (None, ""):
            continue
        number = int(raw) if raw.isdigit() else 0
        if number < low or (high is not None and number > high):
            detail = (
                _("“%(name)s” must be a whole number from %(low)s.") % {"name": name, "low": low}
                if high is None
                else _("“%(name)s” must be between %(low)s and %(high)s.") % {"name": name, "low": low, "high": high}
            )
            return Response(with_errors({"detail": detail, "code": "invalid"}, 400, field=name), status=400)
    return None


@endpoints.route("stats/indicators/<str:code>/people/", name="stats-indicator-people")
class IndicatorPeopleView(APIView):
    pagination_class = PeoplePagination

    @extend_schema(
        tags=TAGS,
        parameters=[
            *QUERY_PARAMETERS,
            *_indicator_params(),
            OpenApiParameter(
                "status",
                str,
                enum=[*STATUSES, EXPIRING],
                description="Only those counted, or missing; `expiring` (the certificate rates): the counted whose "
                "certificate runs out within `expiring_days` after the reference date, the day in `reason`.",
            ),
            OpenApiParameter("page", int, description="Page number (from 1)."),
            OpenApiParameter("page_size", int, description="People per page (at most 1000; default 100)."),
        ],
        responses=out.StatsPeoplePageOut,
        summary="The people behind an indicator's figure, counted or missing with the reason",
    )
    def get(self, request: Request, code: str) -> Response:
        _reader(request)
        params = _params(request)
        status = params.pop("status", None) or None
        try:
            query = query_build(user=request.user, code=code, params=params)
            status = people_status_checked(code, status)
        except AnalyticsError as exc:
            return _refusal(exc)
        if (refused := _paging_refused(request)) is not None:
            return refused
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(_Lines(query, status), request, view=self)  # type: ignore[arg-type]
        lines = page or []
        shown = id_numbers_shown_to(request.user, [Person(pk=ln.person_id, id_number=ln.id_number) for ln in lines])
        data = [
            {
                "person_id": ln.person_id,
                "name": ln.name,
                "id_number": shown[ln.person_id],
                "credit_code": ln.credit_code,
                "enterprise_name": ln.enterprise_name,
                "status": ln.status,
                "reason": ln.reason,
            }
            for ln in lines
        ]
        return paginator.get_paginated_response(out.StatsPersonOut(data, many=True).data)
