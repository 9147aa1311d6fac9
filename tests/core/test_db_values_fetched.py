"""core.db.values_fetched gives exactly what ``list(values_list)`` gives,
core.db.values_named names and orders grouped rows as Python would, and
core.db.collector_paused leaves the garbage collector as it found it."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Sum

from analytics.models import ExamPairFact
from core.db import collector_paused, values_fetched, values_named
from organizations.models import Enterprise
from tests.factories import make_enterprise, make_jurisdiction


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


@pytest.mark.django_db
def test_named_rows_come_in_pythons_order_of_names_with_ties_by_id() -> None:
    place = make_jurisdiction("990100", "测试区")
    # Python's order of strings (code points), as every other door sorts its rows: capitals
    # before small letters, Latin before Han; a database collation (en_US, zh_CN) differs.
    names = ["华安化工", "alpha", "Zeta", "华安化工", "安达", "Ähre", "beta 2", "beta 10"]
    enterprises = [make_enterprise(place, name) for name in names]
    ids = {e.pk for e in enterprises}
    gone = max(ids) + 1000  # an id whose enterprise does not exist (any more)
    ExamPairFact.objects.bulk_create(
        [
            *(
                ExamPairFact(
                    session_id=1,
                    person_id=i,
                    ref_date=dt.date(2026, 3, 1),
                    enterprise_id=e.pk,
                    sat=True,
                    counted=i % 2 == 0,
                    best_score=Decimal("60.5"),
                )
                for i, e in enumerate(enterprises * 3)
            ),
            ExamPairFact(
                session_id=1,
                person_id=99,
                ref_date=dt.date(2026, 3, 1),
                enterprise_id=gone,
                sat=True,
                counted=True,
                best_score=Decimal("70"),
            ),
        ]
    )
    grouped = (
        ExamPairFact.objects.order_by()
        .values("enterprise_id")
        .annotate(n=Count("pk"), scored=Sum("best_score"))
        .values_list("enterprise_id", "n", "scored")
    )
    got = values_named(grouped, Enterprise, "credit_code")
    named = [row for row in got if row[1] is not None]
    by_pk = {e.pk: e for e in enterprises}
    expected = sorted(enterprises, key=lambda e: (e.name, e.pk))
    assert [(row[1], row[2]) for row in named] == [(e.name, e.pk) for e in expected]
    assert [row[0] for row in named] == [by_pk[row[2]].credit_code for row in named]
    assert [row[1] for row in named] == sorted(names)
    assert {row[3] for row in named} == {3}
    assert {row[4] for row in named} == {Decimal("181.5")}  # the sum's converter ran at its offset
    assert [row[:3] for row in got if row[1] is None] == [(None, None, gone)]
    # The same groups as the ORM gives them, each led by its object's key and name.
    assert sorted(row[2:] for row in got) == sorted(grouped.all())
    # A question SQL need not ask (a scope with nothing in it) has no rows, and no error.
    assert values_named(grouped.none(), Enterprise, "credit_code") == []
    assert values_named(grouped.filter(enterprise_id__in=[]), Enterprise, "credit_code") == []
    assert values_named(grouped.filter(session_id=99), Enterprise, "credit_code") == []


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
