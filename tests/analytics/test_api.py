"""GET /api/v1/stats/indicators/…: figures, people, every bad parameter and every scope refusal."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from organizations.validators import mask_id_number
from tests.analytics.api_world import FROM, TO, stats_world
from tests.conftest import Cast, english_client, login_client, token_client

URL = "/api/v1/stats/indicators/"
PRINCIPALS = URL + "principal_certified_rate/"
PERIOD = {"from": FROM, "to": TO}


@pytest.fixture
def world(cast: Cast) -> dict[str, Any]:
    return stats_world(cast)


def test_the_list_gives_codes_names_in_both_languages_definitions_and_parameters(cast: Cast) -> None:
    response = token_client(cast.east.bureau).get(URL)
    assert response.status_code == 200
    by_code = {i["code"]: i for i in response.json()}
    assert {"principal_certified_rate", "special_operator_certified_rate"} <= set(by_code)
    # Listed in the plans' order, the headline indicator first (as every page lists them).
    assert [i["code"] for i in response.json()][:3] == [
        "new_employee_training_rate",
        "principal_certified_rate",
        "special_operator_certified_rate",
    ]
    principals = by_code["principal_certified_rate"]
    assert principals["names"]["en"] == "Principals and safety managers certified"
    assert principals["names"]["zh-hans"] != principals["names"]["en"]
    assert principals["name"] == principals["names"]["zh-hans"]  # zh-hans is the default language
    # The definition in plain words, in the request's language (zh-hans by default) …
    assert "分母" in principals["definition"]
    assert "分子" in principals["definition"]
    assert "Denominator" not in principals["definition"]
    # … and exactly, as the code computes it.
    assert "Denominator" in principals["definition_exact"]
    assert "expiring_days" in principals["definition_exact"]
    english = token_client(cast.east.bureau).get(URL, HTTP_ACCEPT_LANGUAGE="en").json()
    assert next(i for i in english if i["code"] == "principal_certified_rate")["definition"].startswith(
        "Denominator: principals and safety managers"
    )
    assert principals["kind"] == "rate"
    assert principals["target"] == 1.0
    expiring = principals["parameters"][0]
    assert (expiring["name"], expiring["default"]) == ("expiring_days", 90)
    assert "jurisdiction" in principals["group_bys"]
    assert principals["people_statuses"] == ["counted", "missing", "expiring"]
    assert by_code["exam_pass_rate"]["people_statuses"] == ["counted", "missing"]


def test_a_bureau_official_gets_the_districts_total_and_rows_by_jurisdiction(cast: Cast, world: Any) -> None:
    response = token_client(cast.east.bureau).get(PRINCIPALS, {**PERIOD, "group_by": "jurisdiction"})
    assert response.status_code == 200
    body = response.json()
    assert body["indicator"] == "principal_certified_rate"
    assert body["period"] == {"from": FROM, "to": TO}
    assert body["as_of"] == TO
    assert body["total"] == {"numerator": 1, "denominator": 3, "rate": pytest.approx(1 / 3)}
    rows = {r["key"]: r for r in body["rows"]}
    assert rows[cast.east.street.code] == {
        "key": cast.east.street.code,
        "label": cast.east.street.name,
        "numerator": 1,
        "denominator": 2,
        "rate": 0.5,
    }
    assert (rows[cast.east.jurisdiction.code]["numerator"], rows[cast.east.jurisdiction.code]["denominator"]) == (0, 1)
    assert cast.west.street.code not in rows
    assert body["extra"]["expiring_days"] == 90
    assert body["params"] == {"expiring_days": 90}  # the default, said


def test_the_result_names_the_parameters_it_was_counted_with(cast: Cast, world: Any) -> None:
    client = token_client(cast.east.bureau)
    body = client.get(URL + "new_employee_training_rate/", {**PERIOD, "pretraining_days": "7"}).json()
    assert body["params"] == {"pretraining_days": 7}
    assert client.get(URL + "training_hours/", PERIOD).json()["params"] == {}


def test_rows_by_enterprise_are_keyed_by_credit_code(cast: Cast, world: Any) -> None:
    body = token_client(cast.east.bureau).get(PRINCIPALS, {**PERIOD, "group_by": "enterprise"}).json()
    keys = {r["key"]: (r["numerator"], r["denominator"]) for r in body["rows"]}
    assert keys == {cast.east.enterprises[0].credit_code: (1, 2), cast.east.enterprises[1].credit_code: (0, 1)}


def test_rows_by_month_are_keyed_yyyy_mm(cast: Cast, world: Any) -> None:
    body = token_client(cast.east.bureau).get(PRINCIPALS, {**PERIOD, "group_by": "month"}).json()
    # Certificates held is a stock: each month's row is the figure on its last
    # day (the last month's on as_of), so the last row is the total.
    assert [r["key"] for r in body["rows"]] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    last = body["rows"][-1]
    assert {k: last[k] for k in ("numerator", "denominator", "rate")} == body["total"]


def test_a_zero_denominator_gives_a_null_rate(cast: Cast, world: Any) -> None:
    body = token_client(cast.east.bureau).get(URL + "special_operator_certified_rate/", PERIOD).json()
    assert body["total"] == {"numerator": 0, "denominator": 0, "rate": None}


def test_an_enterprise_admin_gets_their_own_enterprise_only(cast: Cast, world: Any) -> None:
    client = token_client(cast.east.enterprise_admin)
    body = client.get(PRINCIPALS, PERIOD).json()
    assert body["scope"] == {"jurisdiction": None, "enterprise": cast.east.enterprises[0].credit_code}
    assert body["total"]["denominator"] == 2
    other = client.get(PRINCIPALS, {**PERIOD, "enterprise": cast.east.enterprises[1].credit_code})
    assert other.status_code == 403
    assert other.json()["code"] == "out_of_scope"
    assert client.get(PRINCIPALS, {**PERIOD, "jurisdiction": cast.east.jurisdiction.code}).status_code == 403


def test_another_districts_code_is_a_403(cast: Cast, world: Any) -> None:
    client = token_client(cast.west.bureau)
    for path in (PRINCIPALS, PRINCIPALS + "people/"):
        response = client.get(path, {**PERIOD, "jurisdiction": cast.east.jurisdiction.code})
        assert response.status_code == 403, path
        assert response.json()["code"] == "out_of_scope"
        response = client.get(path, {**PERIOD, "enterprise": cast.east.enterprises[0].credit_code})
        assert response.status_code == 403, path
    own = client.get(PRINCIPALS, PERIOD).json()
    assert own["total"] == {"numerator": 1, "denominator": 1, "rate": 1.0}


@pytest.mark.parametrize("who", ["learner", "outsider", "proctor"])
def test_users_without_a_statistics_role_are_refused(cast: Cast, who: str) -> None:
    user = {"learner": cast.east.learner.user, "outsider": cast.outsider, "proctor": cast.east.proctor}[who]
    client = token_client(user)
    assert client.get(URL).status_code == 403
    assert client.get(PRINCIPALS, PERIOD).status_code == 403
    assert client.get(PRINCIPALS + "people/", PERIOD).status_code == 403


def test_anonymous_callers_get_401() -> None:
    assert Client().get(URL).status_code == 401
    assert Client().get(PRINCIPALS).status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("no_such_indicator/", PERIOD, "code"),
        ("principal_certified_rate/", {"from": "2026-13-01", "to": TO}, "from"),
        ("principal_certified_rate/", {"from": FROM, "to": "30/06/2026"}, "to"),
        ("principal_certified_rate/", {"from": TO, "to": FROM}, "from"),
        ("principal_certified_rate/", {"from": "2020-01-01", "to": TO}, "to"),
        ("principal_certified_rate/", {**PERIOD, "jurisdiction": "999999"}, "jurisdiction"),
        ("principal_certified_rate/", {**PERIOD, "enterprise": "not-a-code"}, "enterprise"),
        ("principal_certified_rate/", {**PERIOD, "group_by": "week"}, "group_by"),
        ("principal_certified_rate/", {**PERIOD, "expiring_days": "soon"}, "expiring_days"),
        ("principal_certified_rate/people/", {**PERIOD, "status": "absent"}, "status"),
        ("principal_certified_rate/people/", {**PERIOD, "page": "abc"}, "page"),
        ("principal_certified_rate/people/", {**PERIOD, "page": "0"}, "page"),
        ("principal_certified_rate/people/", {**PERIOD, "page_size": "0"}, "page_size"),
        ("principal_certified_rate/people/", {**PERIOD, "page_size": "-5"}, "page_size"),
        ("principal_certified_rate/people/", {**PERIOD, "page_size": "5000"}, "page_size"),
        ("no_such_indicator/people/", PERIOD, "code"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(
    cast: Cast, world: Any, path: str, params: dict[str, str], field: str
) -> None:
    response = token_client(cast.east.bureau).get(URL + path, params)
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [field]
    assert body["detail"]
    assert body["code"]


def test_an_unknown_enterprise_with_a_valid_code_is_a_400(cast: Cast, world: Any) -> None:
    from tests import factories

    response = token_client(cast.east.bureau).get(PRINCIPALS, {**PERIOD, "enterprise": factories.credit_code()})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["enterprise"]


def test_the_error_message_is_in_the_requests_language(cast: Cast) -> None:
    client = english_client(cast.east.bureau)
    body = client.get(PRINCIPALS, {"from": "2026-02-30"}).json()
    assert body["errors"]["from"] == ["“from” must be a date as YYYY-MM-DD."]


def test_people_are_listed_with_reasons_and_masked_id_numbers_for_a_bureau(cast: Cast, world: Any) -> None:
    response = english_client(cast.east.bureau).get(PRINCIPALS + "people/", {**PERIOD, "status": "missing"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    lines = {p["name"]: p for p in body["results"]}
    assert set(lines) == {"李二", "王三"}
    assert lines["李二"]["reason"] == "no certificate"
    assert lines["王三"]["reason"] == "certificate expired on 2026-03-01"
    assert lines["王三"]["status"] == "missing"
    assert lines["王三"]["credit_code"] == cast.east.enterprises[1].credit_code
    assert lines["王三"]["id_number"] == mask_id_number(world["east_p2"].id_number)
    assert world["east_p2"].id_number not in response.content.decode()


def test_an_enterprise_admin_sees_their_own_peoples_full_id_numbers(cast: Cast, world: Any) -> None:
    body = login_client(cast.east.enterprise_admin).get(PRINCIPALS + "people/", PERIOD).json()
    lines = {p["name"]: p for p in body["results"]}
    assert set(lines) == {"张一", "李二"}
    assert lines["张一"]["id_number"] == world["east_p1"].id_number
    assert lines["张一"]["status"] == "counted"
    assert lines["张一"]["reason"] == ""


def test_people_are_paginated(cast: Cast, world: Any) -> None:
    client = token_client(cast.east.bureau)
    first = client.get(PRINCIPALS + "people/", {**PERIOD, "page_size": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    names = [p["name"] for p in first["results"] + second["results"]]
    assert sorted(names) == ["张一", "李二", "王三"]
    assert client.get(PRINCIPALS + "people/", {**PERIOD, "page": 9}).status_code == 404


@pytest.mark.parametrize(
    ("code", "group_by"),
    [
        ("principal_certified_rate", "enterprise"),  # integer counts, a rate
        ("principal_certified_rate", "jurisdiction"),  # a child with a zero denominator: null rate
        ("training_hours", "jurisdiction"),  # a volume: no denominator, no rate
        ("principal_certified_rate", "month"),
    ],
)
def test_rows_are_represented_exactly_as_their_serializer_would(
    cast: Cast, world: Any, code: str, group_by: str
) -> None:
    from analytics import serializers
    from analytics.indicators import compute
    from analytics.queries import query_build

    query = query_build(user=cast.east.bureau, code=code, params={**PERIOD, "group_by": group_by})
    rows = compute(query).rows
    assert rows, "the world gives every grouping a row"
    expected = [dict(r) for r in serializers.StatsRowOut(rows, many=True).data]
    assert serializers.rows_represented(rows) == expected
    assert [list(r) for r in serializers.rows_represented(rows)] == [list(r) for r in expected]  # field order
    body = token_client(cast.east.bureau).get(f"{URL}{code}/", {**PERIOD, "group_by": group_by}).json()
    assert body["rows"] == [dict(r) for r in expected]
    assert list(body) == list(serializers.StatsResultOut.__dict__["_declared_fields"])
