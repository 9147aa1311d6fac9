"""Every indicator, at every grouping, against the benchmark's naive recomputation.

``bench/bench_analytics.py`` times each indicator against a naive version that
reads the raw records (employments, status rows, certificates, ledger entries,
completions, grants, …) into Python and counts there, written apart from
``analytics``. Here both run on a small copy of the bench's own synthetic
district (the same generator, 1,500 people), live and on the facts. This checks
the indicators against an independent computation over data nobody hand-picked,
and it keeps the benchmark's baselines honest: a baseline that disagrees would
make the benchmark print ``DIFFERENT``. The generator writes with COPY, so this
needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.db import connection

from analytics.facts import facts_rebuild
from analytics.indicators import Query, compute, indicators_all
from organizations.models import Jurisdiction

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench's generator writes with COPY"),
]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_analytics", ROOT / "bench" / "bench_analytics.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _figures(bench: ModuleType, query: Query, *, live: bool) -> tuple[Any, Any, Any]:
    result = compute(query, live=live)
    _kind, naive = bench._baseline(query.code)
    numerator, denominator, _groups = naive(query)
    got = (round(result.total.numerator or 0, 6), result.total.denominator or 0)
    want = (round(numerator, 6), got[1] if denominator == -1 else denominator)
    return got, want, result.total.numerator


def test_every_indicator_agrees_with_its_naive_recomputation() -> None:
    bench = _bench()
    bench.populate(argparse.Namespace(people=1500, enterprises=0))
    facts_rebuild()
    today = dt.date.today()
    city = Jurisdiction.objects.get(code="990100")
    checked = []
    for indicator in indicators_all():
        for group_by in (None, *indicator.group_bys):
            query = Query(
                code=indicator.code,
                date_from=today - dt.timedelta(days=364),
                date_to=today,
                jurisdiction=city,
                group_by=group_by,
                today=today,
            )
            for live in (True, False):
                got, want, numerator = _figures(bench, query, live=live)
                assert got == want, (indicator.code, group_by, "live" if live else "facts")
                checked.append((indicator.code, numerator))
    # Not an empty district: every indicator has something to count.
    assert all(numerator for _code, numerator in checked), [c for c, n in checked if not n]
    assert {code for code, _n in checked} == {i.code for i in indicators_all()}
