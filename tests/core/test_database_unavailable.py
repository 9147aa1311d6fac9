"""A database that cannot be reached answers 503 with Retry-After, never 500 (core.middleware).

Clients retry a 503 (exam.js keeps the answer queued, the apps follow Retry-After); a 500 says
"our bug". The outage is made with Django's query hook (``connection.execute_wrapper``): every
query of the request fails as it does while PostgreSQL restarts. The real restart, against a
gunicorn process, is the drill tests/drills/test_postgres_restarted.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import OperationalError, ProgrammingError, connection
from django.test import Client
from rest_framework.authtoken.models import Token

from exams.services.attempts import attempt_start
from tests.conftest import Cast
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session


def database_gone(*_args: Any) -> None:
    raise OperationalError("server closed the connection unexpectedly")


def query_bug(*_args: Any) -> None:
    raise ProgrammingError('column "nope" does not exist')


def save_answer(cast: Cast) -> Any:
    learner = cast.east.learner
    session = make_session(cast.east.provider, make_paper(cast.east.provider, make_bank(cast.east.provider)))
    attempt = attempt_start(notice_confirmed=True, session=session, person=learner)
    aq = attempt.questions.first()
    client = Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=learner.user)}"
    )
    body = json.dumps({"answer": correct_answer(aq), "client_seq": 1, "device": attempt.device_token})

    def put() -> Any:
        return client.put(f"/api/v1/attempts/{attempt.pk}/answers/{aq.pk}/", body, content_type="application/json")

    return put


@pytest.mark.django_db
def test_an_autosave_while_the_database_is_away_is_a_503_to_retry(cast: Cast, request_lines: list[str]) -> None:
    put = save_answer(cast)
    with connection.execute_wrapper(database_gone):
        response = put()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable"
    assert response.json()["detail"] == "服务暂时不可用，请几秒钟后重试。"
    assert json.loads(request_lines[-1])["status"] == 503  # the operator's log says 503 too
    # The retry, once the database is back, is saved.
    assert put().status_code == 200


@pytest.mark.django_db
def test_a_page_while_the_database_is_away_is_a_503_page(cast: Cast, request_lines: list[str]) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(cast.east.learner.user)
    with connection.execute_wrapper(database_gone):
        response = client.get("/", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "暂时不可用" in page
    assert "请几秒钟后重试" in page
    record = json.loads(request_lines[-1])
    assert (record["status"], record["user_id"]) == (503, None)


@pytest.mark.django_db
def test_a_query_bug_is_still_a_500(cast: Cast) -> None:
    put = save_answer(cast)
    with connection.execute_wrapper(query_bug):
        response = put()
    assert response.status_code == 500
    assert "Retry-After" not in response
