"""Schemathesis against /api/schema/: no 5xx, and every response matches the schema.

Every operation of the OpenAPI schema (routes added later are covered as they
appear) is called with generated data by a learner and a bureau official (and on
request a training admin) of the test cast, each with a DRF token, in-process through
Django's WSGI handler on the test database. Checks: no server error, the
response body matches the documented schema, the status code is documented.

Bounded and deterministic for CI: ``MAX_EXAMPLES`` per operation, derandomised,
no example database on disk. Run just this with ``pytest -m schemathesis``;
``SCHEMATHESIS_MAX_EXAMPLES`` raises the bound for a longer local hunt, and
``SCHEMATHESIS_ALL_ROLES=1`` adds the training admin (CI runs the learner and
the bureau official).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.conftest import Cast

pytestmark = pytest.mark.schemathesis

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture
def _same_connection_as_the_test() -> Iterator[None]:
    # Like django.test.Client: a request must not close the test's connection (and its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(
    params=[*["learner", "bureau"], *(["training_admin"] if os.environ.get("SCHEMATHESIS_ALL_ROLES") else [])]
)
def api_user(request: pytest.FixtureRequest, cast: Cast) -> Any:
    users = {
        "learner": cast.east.learner.user,
        "bureau": cast.east.bureau,
        "training_admin": cast.east.training_admin,
    }
    return users[request.param]


@pytest.fixture
def token_headers(api_user: Any) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=api_user)
    return {"Authorization": f"Token {token.key}"}


def schema_document() -> dict[str, Any]:
    """The schema /api/schema/ serves, generated in-process (no request, no database)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))


def _load_schema() -> Any:
    loaded = schemathesis.openapi.from_dict(schema_document())
    # Calls go through Django's WSGI handler in this process, on the test database.
    loaded.app = WSGIHandler()
    return loaded


# (schemathesis.pytest.from_fixture needs Node._nodeid, which pytest 9 no longer has.)
schema = _load_schema()


@pytest.mark.django_db
@pytest.mark.usefixtures("_same_connection_as_the_test")
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_schema(case: Any, token_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=token_headers, checks=CHECKS)


EMPTY_MULTIPART = b"--b--\r\n"  # only the closing boundary: no parts at all
NOT_JSON = b"{bad"


def _body_operations() -> list[Any]:
    """Every operation that takes a body, with each media type it documents (multipart twice:
    the closing boundary alone, and no boundary in the Content-Type at all)."""
    cases = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in ("POST", "PUT", "PATCH"):
            continue
        for media_type in operation.get_request_payload_content_types():
            variants = ["empty"]
            if media_type.startswith("multipart/"):
                variants.append("no boundary")
            if media_type == "application/json":
                variants.append("not json")
            for variant in variants:
                cases.append(
                    pytest.param(operation, media_type, variant, id=f"{operation.label} {media_type} {variant}")
                )
    return cases


@pytest.mark.django_db
@pytest.mark.usefixtures("_same_connection_as_the_test")
@pytest.mark.parametrize(("operation", "media_type", "variant"), _body_operations())
def test_an_empty_body_of_each_media_type_is_answered_as_documented(
    operation: Any, media_type: str, variant: str, token_headers: dict[str, str]
) -> None:
    """An empty multipart body (``--b--``), a multipart without boundary, an empty form,
    ``{}`` and a JSON body that does not parse: the answer is documented, never a 5xx, and a 400 says what is wrong.
    (tests/browser/test_daphne_bodies.py sends the empty multipart through daphne.)"""
    path_parameters = {p.name: 1 for p in operation.iter_parameters() if p.location == "path"}
    headers = dict(token_headers)
    body: Any = {}
    if media_type.startswith("multipart/") and variant == "empty":
        body = EMPTY_MULTIPART
        headers["Content-Type"] = f"{media_type}; boundary=b"
    if variant == "not json":
        body = NOT_JSON
        headers["Content-Type"] = media_type
    case = operation.Case(path_parameters=path_parameters, body=body, media_type=media_type, headers=headers)
    response = case.call_and_validate(checks=CHECKS)
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])[0]
    assert response.status_code in (201, 204) or content_type.startswith("application/json")
    if response.status_code == 400:
        assert response.json()["detail"]
