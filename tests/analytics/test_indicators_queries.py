"""query_build: every bad question is a clear 400 naming the parameter, every
question outside the caller's scope a 403, and the scope is defaulted right.

Uses the shared cast: two districts (east 990101, west 990102), each with a
street, a bureau official and an enterprise admin of its first enterprise.
"""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.errors import InvalidQuery, OutOfScope, UnknownIndicator
from analytics.queries import may_read_statistics, query_build
from tests import factories

CODE = "new_employee_training_rate"
TODAY = dt.date(2026, 6, 15)


def build(user, **params):
    return query_build(user=user, code=params.pop("code", CODE), params=params, today=TODAY)


def refused(user, error=InvalidQuery, **params):
    with pytest.raises(error) as caught:
        build(user, **params)
    return caught.value


def test_unknown_indicator(cast):
    e = refused(cast.east.bureau, UnknownIndicator, code="nope")
    assert (e.status, e.code, e.field) == (400, "unknown_indicator", "indicator")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-05-01", "to": "2026-04-30"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"jurisdiction": "999999"}, "jurisdiction"),
        ({"jurisdiction": "abc"}, "jurisdiction"),
        ({"enterprise": "123"}, "enterprise"),
        ({"group_by": "week"}, "group_by"),
        ({"pretraining_days": "ten"}, "pretraining_days"),
        ({"pretraining_days": "-1"}, "pretraining_days"),
        ({"pretraining_days": "366"}, "pretraining_days"),
    ],
)
def test_bad_input_names_the_parameter(cast, params, field):
    e = refused(cast.east.bureau, **params)
    assert (e.status, e.field) == (400, field)
    assert str(e)


def test_an_unknown_but_well_formed_credit_code(cast):
    e = refused(cast.east.bureau, enterprise=factories.credit_code("990101"))
    assert e.field == "enterprise"


def test_a_grouping_the_indicator_does_not_offer(cast):
    e = refused(cast.east.bureau, code="public_first_aid_coverage", group_by="enterprise")
    assert e.field == "group_by"
    assert "jurisdiction" in str(e)


def test_the_longest_period_allowed(cast, settings):
    settings.ANALYTICS_MAX_PERIOD_DAYS = 31
    assert build(cast.east.bureau, **{"from": "2026-01-01", "to": "2026-01-31"}).date_to == dt.date(2026, 1, 31)
    assert refused(cast.east.bureau, **{"from": "2026-01-01", "to": "2026-02-01"}).field == "to"


def test_another_district_is_403(cast):
    e = refused(cast.east.bureau, OutOfScope, jurisdiction="990102")
    assert (e.status, e.code) == (403, "out_of_scope")
    refused(cast.east.bureau, OutOfScope, jurisdiction="990102001")
    refused(cast.east.bureau, OutOfScope, enterprise=cast.west.enterprises[0].credit_code)


def test_a_bureau_official_reads_their_subtree(cast):
    default = build(cast.east.bureau)
    assert (default.jurisdiction, default.enterprise) == (cast.east.jurisdiction, None)
    street = build(cast.east.bureau, jurisdiction="990101001", group_by="enterprise")
    assert (street.jurisdiction, street.group_by) == (cast.east.street, "enterprise")
    mine = build(cast.east.bureau, enterprise=cast.east.enterprises[1].credit_code.lower())
    assert mine.enterprise == cast.east.enterprises[1]


def test_an_enterprise_admin_reads_only_their_enterprise(cast):
    admin = cast.east.enterprise_admin
    default = build(admin)
    assert (default.jurisdiction, default.enterprise) == (None, cast.east.enterprises[0])
    refused(admin, OutOfScope, enterprise=cast.east.enterprises[1].credit_code)
    refused(admin, OutOfScope, jurisdiction="990101")
    refused(admin, OutOfScope, enterprise=cast.west.enterprises[0].credit_code)


def test_people_without_a_reading_role(cast):
    assert not may_read_statistics(cast.outsider)
    refused(cast.outsider, OutOfScope)
    refused(cast.east.training_admin, OutOfScope)
    refused(cast.east.learner.user, OutOfScope)


def test_the_platform_admin_and_the_operator_read_everything(cast):
    for user in (cast.platform_admin, None):
        query = build(user, jurisdiction="990102")
        assert query.jurisdiction == cast.west.jurisdiction
        whole = build(user)
        assert (whole.jurisdiction, whole.enterprise) == (None, None)


def test_dates_default_and_as_of(cast):
    query = build(cast.east.bureau)
    assert (query.date_from, query.date_to, query.as_of) == (dt.date(2026, 1, 1), TODAY, TODAY)
    future = build(cast.east.bureau, **{"from": "2026-01-01", "to": "2026-12-31"})
    assert (future.date_to, future.as_of) == (dt.date(2026, 12, 31), TODAY)
    past = build(cast.east.bureau, **{"from": "2025-01-01", "to": "2025-12-31"})
    assert past.as_of == dt.date(2025, 12, 31)
    assert build(cast.east.bureau, pretraining_days="45").param("pretraining_days") == 45
    assert build(cast.east.bureau).param("pretraining_days") == 30


def test_an_enterprise_never_registered_in_the_jurisdiction_is_refused_by_name(cast):
    """Both filters, and they cannot both hold: a 400 naming the enterprise, not a table of
    0 / 0 that reads as a fact."""
    other_street = factories.make_jurisdiction("990101002", "东区第二街道", parent=cast.east.jurisdiction)
    enterprise = cast.east.enterprises[0]
    e = refused(cast.east.bureau, jurisdiction=other_street.code, enterprise=enterprise.credit_code)
    assert (e.status, e.field) == (400, "enterprise")
    assert enterprise.name in str(e)
    assert other_street.name in str(e)
    # Its own street, and the district above it, are fine.
    for node in (cast.east.street, cast.east.jurisdiction):
        query = build(cast.east.bureau, jurisdiction=node.code, enterprise=enterprise.credit_code)
        assert (query.jurisdiction, query.enterprise) == (node, enterprise)


def test_an_enterprise_that_moved_out_of_the_jurisdiction_is_accepted_there(cast):
    """It was there once: its figures there are those of the days it was there."""
    from organizations.models import EnterpriseStatus

    other_street = factories.make_jurisdiction("990101003", "东区第三街道", parent=cast.east.jurisdiction)
    enterprise = cast.east.enterprises[1]
    for day, place in (
        (TODAY - dt.timedelta(days=400), cast.east.street),
        (TODAY - dt.timedelta(days=10), other_street),
    ):
        EnterpriseStatus.objects.create(
            enterprise=enterprise,
            valid_from=day,
            industry_id=enterprise.industry_id,
            above_scale=enterprise.above_scale,
            jurisdiction=place,
        )
    enterprise.jurisdiction = other_street
    enterprise.save(update_fields=["jurisdiction"])
    query = build(cast.east.bureau, jurisdiction=cast.east.street.code, enterprise=enterprise.credit_code)
    assert query.enterprise == enterprise
