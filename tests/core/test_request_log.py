"""One JSON line per request (core.request_log): ids and route, never answers, faces or ID numbers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from exams.services.attempts import attempt_start
from question_bank.models import QuestionType
from tests.conftest import Cast
from tests.exams.conftest import make_bank, make_paper, make_session


@pytest.mark.django_db
def test_an_autosave_is_one_line_with_its_ids_and_no_answer(cast: Cast, request_lines: list[str]) -> None:
    learner = cast.east.learner
    session = make_session(cast.east.provider, make_paper(cast.east.provider, make_bank(cast.east.provider)))
    attempt = attempt_start(notice_confirmed=True, session=session, person=learner)
    blank = attempt.questions.filter(qtype=QuestionType.FILL_BLANK).first()
    token = Token.objects.create(user=learner.user).key
    secret_answer = "绝密答案七号"
    response = Client().put(
        f"/api/v1/attempts/{attempt.pk}/answers/{blank.pk}/",
        json.dumps({"answer": [secret_answer] * len(blank.answer), "client_seq": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
        HTTP_X_REQUEST_ID="req-from-proxy-0001",
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-from-proxy-0001"
    assert len(request_lines) == 1
    record: dict[str, Any] = json.loads(request_lines[0])
    assert record["request_id"] == "req-from-proxy-0001"
    assert record["user_id"] == learner.user.pk
    assert record["path"] == "api/v1/attempts/<id:attempt_id>/answers/<id:question_id>/"
    assert record["attempt_id"] == attempt.pk
    assert (record["method"], record["status"]) == ("PUT", 200)
    assert record["duration_ms"] >= 0
    for secret in (secret_answer, learner.id_number, token, learner.name):
        assert secret not in request_lines[0]


@pytest.mark.django_db
def test_a_request_without_a_usable_id_gets_a_new_one(request_lines: list[str]) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID='x"}\n{"forged": 1')
    assert response.status_code == 200
    given = response["X-Request-ID"]
    assert given != 'x"}\n{"forged": 1'
    assert len(given) == 32
    assert json.loads(request_lines[-1])["request_id"] == given
    assert json.loads(request_lines[-1])["user_id"] is None
    assert "forged" not in request_lines[-1]


@pytest.mark.django_db
def test_a_missing_route_is_logged_without_its_path(request_lines: list[str]) -> None:
    Client().get("/no/such/page/110101199003077777/")
    record = json.loads(request_lines[-1])
    assert record["status"] == 404
    assert record["path"] == ""
    assert "110101199003077777" not in request_lines[-1]
