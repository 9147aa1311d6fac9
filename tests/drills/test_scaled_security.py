"""The security tests of the integrity issue, once against the scaled topology (`make run-scaled`).

A rule kept by one process must be kept by all: the scope walker (tests/test_every_route_is_scoped.py)
and schemathesis (tests/test_api_schemathesis.py) send their requests over real HTTP to the two web
processes that deploy/run-scaled.sh starts on the test database, alternating between them, with the
session cookie and CSRF token a browser sends. PostgreSQL + Redis only (the processes share the database).
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import schemathesis
from django.conf import settings
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token

from tests.conftest import Cast, login_client
from tests.support.run_scaled import ScaledRun, run_scaled
from tests.test_api_schemathesis import CHECKS, schema_document
from tests.test_every_route_is_scoped import check_parameterless_routes, check_parametrised_routes

db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
EXAMPLES_PER_OPERATION = 3  # one pass: the in-process run covers the depth


class LiveResponse:
    """What the walker reads of a response, from a real HTTP answer."""

    streaming = False

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.content = response.content
        self.headers = response.headers

    def __getitem__(self, name: str) -> str:
        return self.headers[name]


class LiveClient:
    """A browser's requests to the scaled topology: its session cookie, a CSRF cookie and the matching
    header, each request to the next web process in turn."""

    def __init__(self, bases: Iterator[str], user: Any | None) -> None:
        self.bases = bases
        self.http = requests.Session()
        csrf = secrets.token_hex(16)  # Django takes any 32-character token whose cookie and header agree
        self.http.cookies.set(settings.CSRF_COOKIE_NAME, csrf)
        self.http.headers["X-CSRFToken"] = csrf
        if user is not None:
            session = login_client(user).cookies[settings.SESSION_COOKIE_NAME].value
            self.http.cookies.set(settings.SESSION_COOKIE_NAME, session)

    def _url(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{next(self.bases)}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str) -> LiveResponse:
        return LiveResponse(self.http.get(self._url(url), allow_redirects=False, timeout=60))

    def post(self, url: str, data: dict[str, Any]) -> LiveResponse:
        return LiveResponse(self.http.post(self._url(url), data=data, allow_redirects=False, timeout=60))


@pytest.fixture(scope="module")
def scaled(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScaledRun]:
    """`make run-scaled` on the test database, for the whole module (each test's data is its own)."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("the scaled topology needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL)")
    database = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}"))
    # The processes share the suite's private storage, as a district's hosts share theirs (a lesson plan's
    # file written by the test is served by either process).
    with run_scaled(
        database,
        tmp_path_factory.mktemp("scaled"),
        PRIVATE_STORAGE_ROOT=str(settings.PRIVATE_STORAGE_ROOT),
        # pytest-django migrated the test database; migrating it again here would recreate the content
        # types and permissions a transactional test's flush removed, under the rows its rollback restores.
        MIGRATE="0",
    ) as run:
        yield run


def _client_for(run: ScaledRun) -> Any:
    bases = itertools.cycle(run.web_urls)
    return lambda user: LiveClient(bases, user)


@db
def test_every_parametrised_route_refuses_other_tenants_on_every_process(cast: Cast, scaled: ScaledRun) -> None:
    check_parametrised_routes(cast, _client_for(scaled))


@db
def test_parameterless_routes_show_no_other_tenant_data_on_every_process(cast: Cast, scaled: ScaledRun) -> None:
    check_parameterless_routes(cast, _client_for(scaled))


@db
def test_the_api_matches_its_schema_on_every_process(cast: Cast, scaled: ScaledRun) -> None:
    """One schemathesis pass over every operation, as a learner and as a bureau official, over real HTTP."""
    schema = schemathesis.openapi.from_dict(schema_document())
    bases = itertools.cycle(scaled.web_urls)
    failures = []
    for user in (cast.east.learner.user, cast.east.bureau):
        headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
        for result in schema.get_all_operations():
            operation = result.ok()
            try:
                _examples(
                    operation,
                    lambda case, headers=headers: case.call_and_validate(
                        base_url=next(bases), headers=headers, checks=CHECKS
                    ),
                )
            except Exception as error:  # noqa: BLE001 - every operation is tried; the failures are listed at the end
                failures.append(f"{user.username} {operation.label}: {error}")
    assert not failures, "\n\n".join(failures)


def _examples(operation: Any, check: Any) -> None:
    """``check(case)`` for a few generated cases of ``operation`` (deterministic, as in the in-process run)."""

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        check(case)

    run()
