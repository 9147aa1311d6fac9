"""What the indicator tests read off a result and the two enterprises most of them count."""

from __future__ import annotations

from analytics.indicators import Query, compute
from organizations.models import Enterprise, Jurisdiction
from tests.analytics.ind_fixtures import east_district, enterprise


def by_key(query: Query) -> dict[str, tuple[int, int]]:
    """Each row of the query's result as (numerator, denominator), by the row's key."""
    return {r.key: (r.numerator, r.denominator) for r in compute(query).rows}


def by_label(query: Query) -> dict[str, tuple[int, int]]:
    """Each row of the query's result as (numerator, denominator), by the row's label."""
    return {r.label: (r.numerator, r.denominator) for r in compute(query).rows}


def machinery_and_chemicals(a_at: Jurisdiction, b_at: Jurisdiction) -> tuple[Enterprise, Enterprise]:
    """A, 甲机械 (machinery) on ``a_at``, and B, 乙化工 (hazardous chemicals, high risk) on ``b_at``."""
    return enterprise(a_at, "甲机械"), enterprise(b_at, "乙化工", industry="hazardous_chemicals")


def machinery_and_chemicals_district() -> tuple[Jurisdiction, Jurisdiction, Enterprise, Enterprise]:
    """The EAST district with one street s1, A on s1 and B on the district itself: (district, s1, A, B)."""
    district, (s1,) = east_district(1)
    a, b = machinery_and_chemicals(s1, district)
    return district, s1, a, b
