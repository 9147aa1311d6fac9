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
from types import ModuleType
from typing import Any

import pytest
from django.db import connection

from analytics.facts import facts_rebuild
from analytics.indicators import Query, compute, indicators_all
from tests.support.bench_scripts import bench_script

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench's generator writes with COPY"),
]


def _figures(bench: ModuleType, query: Query, *, live: bool) -> tuple[Any, Any, Any]:
    result = compute(query, live=live)
    _kind, naive = bench._baseline(query.code)
    numerator, denominator, _groups = naive(query)
    got = (round(result.total.numerator or 0, 6), result.total.denominator or 0)
    want = (round(numerator, 6), got[1] if denominator == -1 else denominator)
    return got, want, result.total.numerator


def test_every_indicator_agrees_with_its_naive_recomputation() -> None:
    bench = bench_script("bench_analytics")
    bench.populate(argparse.Namespace(people=1500, enterprises=0))
    facts_rebuild()
    checked = []
    for indicator, query in bench.questions():
        for live in (True, False):
            got, want, numerator = _figures(bench, query, live=live)
            assert got == want, (indicator.code, query.group_by, "live" if live else "facts")
            checked.append((indicator.code, numerator))
    # Not an empty district: every indicator has something to count.
    assert all(numerator for _code, numerator in checked), [c for c, n in checked if not n]
    assert {code for code, _n in checked} == {i.code for i in indicators_all()}
