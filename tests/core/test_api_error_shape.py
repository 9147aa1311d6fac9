"""Every API error has one shape (core/api_errors.py): ``detail`` and ``code``, and on a 400 the
``errors`` by field, whichever view answers and whatever went wrong with the body."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import BadRequest
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator
from rest_framework import exceptions
from rest_framework.test import APIClient

from core.api_errors import exception_handler
from core.middleware import ApiJsonErrorsMiddleware
from tests.exams.conftest import make_bank, make_paper, make_session

pytestmark = pytest.mark.django_db

ZH = {"Accept-Language": "zh-hans"}


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _shape(response: Any) -> dict[str, Any]:
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["code"], str)
    assert isinstance(body["errors"], dict)
    assert body["errors"]
    return body


def _east_session(cast: Any) -> Any:
    """An open exam session of the east provider, on a paper drawn from its own bank."""
    return make_session(cast.east.provider, make_paper(cast.east.provider, make_bank(cast.east.provider)))


def _learner_post(cast: Any, path: str, body: bytes, content_type: str, **extra: Any) -> Any:
    """POST ``body`` as the east learner to ``path``, its {session} an open east session."""
    session = _east_session(cast)
    return _client(cast.east.learner.user).generic(
        "POST", path.format(session=session.pk), body, content_type=content_type, **extra
    )


@pytest.mark.parametrize(
    "path",
    ["/api/v1/proctoring/consent/", "/api/v1/exams/{session}/attempts/", "/api/v1/question-banks/"],
)
def test_a_body_that_is_not_json_gets_errors_and_a_code(cast: Any, path: str) -> None:
    response = _learner_post(cast, path, b"{bad", "application/json", headers=ZH)
    body = _shape(response)
    assert body["code"] == "parse_error"
    assert list(body["errors"]) == ["non_field_errors"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/exams/{session}/attempts/", "/api/v1/proctoring/enrolment/", "/api/v1/exams/{session}/identity-check/"],
)
def test_an_empty_multipart_body_gets_a_json_answer(cast: Any, path: str) -> None:
    response = _learner_post(cast, path, b"--b--\r\n", "multipart/form-data; boundary=b")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    if response.status_code == 400:  # a service's own 400 (bad_image, notice_not_confirmed) too
        _shape(response)


def test_an_autosave_the_question_cannot_take_names_answer(cast: Any) -> None:
    from exams.models import AttemptQuestion
    from exams.services.attempts import attempt_start

    session = _east_session(cast)
    attempt = attempt_start(session=session, person=cast.east.learner, notice_confirmed=True)
    question = AttemptQuestion.objects.filter(attempt=attempt, qtype="true_false").first()
    response = _client(cast.east.learner.user).put(
        f"/api/v1/attempts/{attempt.pk}/answers/{question.pk}/",
        {"answer": "A", "client_seq": 1, "device": attempt.device_token},
        format="json",
        headers=ZH,
    )
    body = _shape(response)
    assert body["code"] == "bad_answer"
    assert list(body["errors"]) == ["answer"]


def test_a_list_of_errors_is_keyed_like_every_other_400() -> None:
    response = exception_handler(exceptions.ValidationError(["Nobody matches this selection."]), {})
    assert response is not None
    assert response.data["errors"] == {"non_field_errors": ["Nobody matches this selection."]}
    assert response.data["code"] == "invalid"


def test_a_request_django_refuses_is_a_json_400_not_a_500() -> None:
    request = RequestFactory().post("/api/v1/exams/1/attempts/")
    response = ApiJsonErrorsMiddleware(lambda r: None).process_exception(request, BadRequest("too many fields"))
    assert response is not None
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["code"] == "bad_request"
    assert body["errors"]["non_field_errors"]


def test_the_notice_scores_are_decimal_strings_as_documented(cast: Any) -> None:
    session = _east_session(cast)
    rows = _client(cast.east.learner.user).get("/api/v1/me/exams/").json()
    notice = next(r for r in rows if r["session_id"] == session.pk)["notice"]
    assert notice["total_score"] == "40.0"
    assert notice["pass_score"] == "20.0"
    assert Decimal(notice["total_score"]) == 40
    schema = SchemaGenerator().get_schema(request=None, public=True)
    fields = next(v for k, v in schema["components"]["schemas"].items() if k.startswith("Notice"))["properties"]
    assert fields["total_score"]["type"] == fields["pass_score"]["type"] == "string"


def test_every_undocumented_400_refers_to_the_bad_request_shape() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["BadRequest"]["required"] == ["detail", "errors"]
    refs = {
        response["content"]["application/json"]["schema"].get("$ref")
        for operations in schema["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict) and "400" in operation.get("responses", {})
        for response in [operation["responses"]["400"]]
        if "content" in response
    }
    assert "#/components/schemas/BadRequest" in refs
