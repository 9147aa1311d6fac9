"""core.db.values_fetched gives exactly what ``list(values_list)`` gives, and
core.db.collector_paused leaves the garbage collector as it found it."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Sum

from analytics.models import ExamPairFact
from core.db import collector_paused, values_fetched


@pytest.fixture
def pairs() -> None:
    day = dt.date(2026, 3, 1)
    ExamPairFact.objects.bulk_create(
        ExamPairFact(
            session_id=i % 7,
            person_id=1000 + i,
            ref_date=day + dt.timedelta(days=i % 3),
            enterprise_id=i % 5 or None,
            sat=i % 2 == 0,
            counted=i % 4 == 0,
            best_score=Decimal(i % 100) + Decimal("0.5") if i % 3 else None,
        )
        for i in range(250)
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("pairs")
def test_grouped_rows_come_back_as_the_orm_gives_them() -> None:
    # A date group, a nullable id, counts, a decimal sum and a date maximum: every converter kind.
    grouped = (
        ExamPairFact.objects.order_by()
        .values("ref_date", "enterprise_id")
        .annotate(n=Count("pk"), scored=Sum("best_score"), last=Max("ref_date"))
        .values_list("ref_date", "enterprise_id", "n", "scored", "last")
    )
    expected = list(grouped.all())
    got = values_fetched(grouped.all())
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert len(got) == 15
    assert all(isinstance(row[0], dt.date) and isinstance(row[4], dt.date) for row in got)
    assert {type(row[3]) for row in got} <= {Decimal, type(None)}
    assert all(type(row) is tuple for row in got)


@pytest.mark.django_db
@pytest.mark.usefixtures("pairs")
def test_more_rows_than_one_chunk_and_an_empty_question(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.db._FETCH_CHUNK", 64)  # 250 rows: four fetches
    rows = ExamPairFact.objects.order_by("pk").values_list("person_id", "sat")
    assert values_fetched(rows.all()) == list(rows.all())
    assert values_fetched(ExamPairFact.objects.filter(pk__in=[]).values_list("pk")) == []
    assert values_fetched(ExamPairFact.objects.filter(session_id=99).values_list("pk")) == []


def test_the_collector_is_back_on_after_a_pause_even_on_an_error() -> None:
    seen = []

    def build() -> None:
        with collector_paused():
            seen.append(gc.isenabled())
            raise RuntimeError("boom")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        build()
    assert seen == [False]
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_collector_off_until_the_outer_one_ends() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
