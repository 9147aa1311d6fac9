"""Every indicator keeps the contract the doors rely on, on the hand-built
district of the new-employee tests (which also has exams, ledger entries and
certificates): a definition and both names, every grouping it offers runs,
rate rows add up to the total, volumes have no denominator, and the people
list is split into counted and missing exactly as the figure is."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from analytics.indicators import GROUP_BYS, compute, indicator_get, indicators_all, people, people_count
from tests.analytics.ind_fixtures import q
from tests.analytics.test_indicators_new_employee import w  # noqa: F401  (the fixture)

CODES = [
    "principal_certified_rate",
    "special_operator_certified_rate",
    "new_employee_training_rate",
    "annual_retraining_rate",
    "exam_pass_rate",
    "training_hours",
    "active_learners",
    "course_completions",
    "public_first_aid_coverage",
    "regulator_training_rate",
]
FROM, TO = dt.date(2025, 7, 1), dt.date(2026, 6, 30)


def test_all_ten_are_registered():
    assert sorted(i.code for i in indicators_all()) == sorted(CODES)


@pytest.mark.parametrize("code", CODES)
def test_definition_names_and_params(code):
    ind = indicator_get(code)
    text = ind.definition_exact()
    assert "Numerator" in text or "numerator" in text or "sum" in text or "number" in text
    # The definition users read: plain words in each language, never the English docstring on a Chinese page.
    with translation.override("zh-hans"):
        plain_zh = ind.definition()
    with translation.override("en"):
        plain_en = ind.definition()
    assert re.search(r"[\u4e00-\u9fff]", plain_zh), plain_zh
    assert "``" not in plain_zh
    assert "``" not in plain_en
    assert plain_zh != plain_en
    assert plain_en != text
    with translation.override("en"):
        english = str(ind.name)
    with translation.override("zh-hans"):
        chinese = str(ind.name)
    assert english != chinese
    assert ind.kind in ("rate", "volume")
    assert set(ind.group_bys) <= set(GROUP_BYS)
    for p in ind.params:
        assert p.minimum <= p.default <= p.maximum
        assert p.name in text


@pytest.mark.parametrize("code", CODES)
def test_every_grouping_adds_up(w, code):  # noqa: F811
    ind = indicator_get(code)
    total = compute(q(code, FROM, TO, jurisdiction=w.district))
    if ind.kind == "volume":
        assert total.total.denominator is None
    for by in ind.group_bys:
        result = compute(q(code, FROM, TO, jurisdiction=w.district, group_by=by))
        assert result.total == total.total
        keys = [r.key for r in result.rows]
        assert len(keys) == len(set(keys)), by
        if ind.trend and by in ("month", "quarter", "year"):
            last = result.rows[-1]
            assert (last.numerator, last.denominator) == (total.total.numerator, total.total.denominator), by
        elif ind.kind == "rate" and code != "public_first_aid_coverage":
            assert sum(r.denominator for r in result.rows) == total.total.denominator, by
            assert sum(r.numerator for r in result.rows) == total.total.numerator, by
        if code in ("training_hours", "course_completions"):
            assert sum(r.numerator for r in result.rows) == pytest.approx(total.total.numerator), by


@pytest.mark.parametrize("code", CODES)
def test_people_match_the_figure(w, code):  # noqa: F811
    ind = indicator_get(code)
    query = q(code, FROM, TO, jurisdiction=w.district)
    result = compute(query)
    everyone = people(query)
    counted, missing = people(query, status="counted"), people(query, status="missing")
    assert len(everyone) == len(counted) + len(missing)
    # The API's pages and the export's progress bar trust people_count.
    assert [people_count(query), people_count(query, status="counted"), people_count(query, status="missing")] == [
        len(everyone),
        len(counted),
        len(missing),
    ]
    assert all(x.status == "counted" and x.reason == "" for x in counted)
    assert all(x.status == "missing" and x.reason for x in missing)
    if ind.kind == "rate" and code != "public_first_aid_coverage":
        assert (len(counted), len(everyone)) == (result.total.numerator, result.total.denominator)
    elif code == "public_first_aid_coverage":
        assert len(counted) == result.total.numerator  # the missing are registered residents, not the population
