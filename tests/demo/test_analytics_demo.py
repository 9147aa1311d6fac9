"""The statistics demo of seed_demo: two districts, ~200 enterprises with a
history, a few thousand people, and every indicator showing a figure that is
neither 0 % nor 100 % (nor empty)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from analytics.errors import OutOfScope
from analytics.indicators import compute, indicators_all
from analytics.queries import query_build, reader_scope
from exams.models import Attempt, Certificate, CertificateType
from organizations.models import BEGINNING, Employment, Enterprise, EnterpriseStatus, Jurisdiction, Person
from tests.analytics.ind_fixtures import q
from training.models import CreditLedger, PublicLearner


@pytest.fixture
def seeded(db: None, settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)


def _counts() -> dict[str, int]:
    models = (User, Enterprise, EnterpriseStatus, Person, Employment, CreditLedger, Attempt, Certificate)
    return {m.__name__: m.objects.count() for m in models}


def test_demo_has_two_districts_with_streets_and_a_history(seeded: None) -> None:
    districts = Jurisdiction.objects.filter(kind=Jurisdiction.Kind.DISTRICT)
    assert districts.count() == 2
    for district in districts:
        assert district.children.count() >= 3
        assert (district.population or 0) > 0
    assert 200 <= Enterprise.objects.count() <= 220
    key = Enterprise.objects.filter(industry__is_key=True, above_scale=True).count()
    assert 0 < key < Enterprise.objects.count()
    changed = EnterpriseStatus.objects.exclude(valid_from=BEGINNING)
    two_years_ago = timezone.localdate() - dt.timedelta(days=731)
    assert changed.count() >= 20
    assert not changed.filter(valid_from__lt=two_years_ago).exists()
    people = Person.objects.count()
    assert 2000 <= people <= 5000
    hired = Employment.objects.filter(start_date__gte=two_years_ago).count()
    assert hired >= 1500
    transfers = Employment.objects.values("person").annotate(n=Count("pk")).filter(n__gt=1).count()
    assert transfers >= 20
    assert Employment.objects.filter(end_date__isnull=False).count() >= 100
    assert Certificate.objects.filter(imported=True).exists()
    assert Certificate.objects.filter(imported=False, cert_type=CertificateType.PRINCIPAL).exists()
    assert Certificate.objects.filter(status=Certificate.Status.REVOKED).exists()
    assert Certificate.objects.filter(valid_until__lt=timezone.localdate()).exists()
    assert Certificate.objects.filter(cert_type=CertificateType.SPECIAL_OPERATOR).exists()
    assert Attempt.objects.filter(session__is_onboarding=True, seq=2).exists()  # retakes
    assert PublicLearner.objects.count() >= 500
    purposes = set(CreditLedger.objects.filter(lesson__isnull=True).values_list("purpose", flat=True))
    assert {CreditLedger.Purpose.ONBOARDING, CreditLedger.Purpose.ANNUAL} <= purposes


def test_seed_demo_twice_gives_the_same_data(seeded: None, settings: Any) -> None:
    first = _counts()
    call_command("seed_demo", verbosity=0)
    assert _counts() == first


def test_demo_bureau_sees_exactly_one_district(seeded: None) -> None:
    bureau = User.objects.get(username="demo_bureau")
    paths, enterprises = reader_scope(bureau) or ([], [])
    assert paths == [Jurisdiction.objects.get(code="990101").path]
    assert enterprises == []
    params = {"from": "2026-01-01", "to": "2026-06-30"}
    code = "principal_certified_rate"
    assert (
        query_build(user=bureau, code=code, params={**params, "jurisdiction": "990101"}).jurisdiction.code == "990101"
    )
    with pytest.raises(OutOfScope):
        query_build(user=bureau, code=code, params={**params, "jurisdiction": "990102"})


def test_every_indicator_shows_a_non_trivial_figure(seeded: None) -> None:
    today = timezone.localdate()
    district = Jurisdiction.objects.get(code="990101")
    for indicator in indicators_all():
        for jurisdiction in (None, district):
            query = q(indicator.code, today - dt.timedelta(days=365), today, jurisdiction=jurisdiction, today=today)
            total = compute(query).total
            where = f"{indicator.code} in {jurisdiction or 'all'}"
            if indicator.kind == "volume":
                assert total.numerator > 0, where
            else:
                assert total.rate is not None, where
                assert 0 < total.rate < 1, f"{where}: {total.numerator}/{total.denominator}"
