"""The question-bank API: management for admins, practice for learners, scoping with an outsider on every route."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from question_bank.models import Bank, ImportJob, Question
from tests.question_bank.conftest import ROWS, xlsx_bytes
from tests.support.cast_users import cast_user

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_admin_lists_and_manages_questions(cast: Any, east_bank: Bank) -> None:
    client = api(cast.east.training_admin)
    listed = client.get("/api/v1/questions/", {"bank": east_bank.pk, "type": "single"}).json()
    assert listed["count"] == 1
    single = listed["results"][0]
    assert (single["answer"], single["answer_text"], single["options"][1]) == ("B", "B", "119")
    created = client.post(
        "/api/v1/questions/",
        {"bank": east_bank.pk, "type": "multiple", "stem": "灭火方法有？", "options": ["冷却", "窒息", "加热"],
         "answer_text": "a、b", "explanation": "", "difficulty": 2, "knowledge_point": "消防器材"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["answer"] == "AB"
    bad = client.post(
        "/api/v1/questions/",
        {"bank": east_bank.pk, "type": "single", "stem": "x", "options": ["a", "b"], "answer_text": "E"},
        format="json",
    )
    assert bad.status_code == 400
    assert "E" in bad.json()["detail"]
    pk = created.json()["id"]
    patched = client.patch(f"/api/v1/questions/{pk}/", {"answer_text": "ABC"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    assert patched.json()["answer"] == "ABC"
    assert client.delete(f"/api/v1/questions/{pk}/").status_code == 204
    assert not Question.objects.get(pk=pk).is_active


def test_a_difficulty_out_of_range_is_refused_and_none_given_is_the_default(cast: Any, east_bank: Bank) -> None:
    client = api(cast.east.training_admin)
    question = {"bank": east_bank.pk, "type": "true_false", "stem": "动火作业须办理作业票。", "answer_text": "正确"}
    zero = client.post("/api/v1/questions/", {**question, "difficulty": 0}, format="json")
    assert zero.status_code == 400
    assert "difficulty" in zero.json()["errors"]
    created = client.post("/api/v1/questions/", question, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["difficulty"] == 3


def test_admin_creates_banks_only_for_their_provider(cast: Any) -> None:
    client = api(cast.east.training_admin)
    ok = client.post(
        "/api/v1/question-banks/",
        {"code": "east-api", "name": "东区API题库", "owner": cast.east.provider.code, "visibility": "shared",
         "shared_with": cast.east.jurisdiction.code},
        format="json",
    )  # fmt: skip
    assert ok.status_code == 201, ok.json()
    refused = client.post(
        "/api/v1/question-banks/", {"code": "west-api", "name": "x", "owner": cast.west.provider.code}, format="json"
    )
    assert refused.status_code == 400
    assert not Bank.objects.filter(code="west-api").exists()
    assert api(cast.outsider).post(
        "/api/v1/question-banks/", {"code": "o", "name": "o"}, format="json"
    ).status_code in (400, 403)
    assert not Bank.objects.filter(code="o").exists()


def test_upload_through_the_api_queues_an_import(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    from question_bank import services

    client = api(cast.east.training_admin)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/api/v1/question-banks/{east_bank.pk}/imports/",
            {"file": SimpleUploadedFile("b.xlsx", xlsx_bytes(ROWS))},
            format="multipart",
        )
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    services.import_job_run(job_id=response.json()["id"])
    job = client.get(f"/api/v1/question-imports/{response.json()['id']}/").json()
    assert job["status"] == "done"
    assert job["result"]["counts"]["unchanged"] == 4
    assert [j["id"] for j in client.get(f"/api/v1/question-banks/{east_bank.pk}/imports/").json()] == [job["id"]]
    refused = client.post(
        f"/api/v1/question-banks/{east_bank.pk}/imports/",
        {"file": SimpleUploadedFile("b.xlsx", b"not a workbook \x00")},
        format="multipart",
    )
    assert refused.status_code == 400


@pytest.mark.parametrize("name", ["big.xlsx", "big.gift", "big.docx"])
def test_an_upload_over_the_size_limit_is_refused_whatever_its_kind(
    cast: Any, east_bank: Bank, settings: Any, name: str
) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    client = api(cast.east.training_admin)
    refused = client.post(
        f"/api/v1/question-banks/{east_bank.pk}/imports/",
        {"file": SimpleUploadedFile(name, b"x" * 5000)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert "the limit is" in str(refused.json()["errors"]["file"])
    assert not ImportJob.objects.exists()


def test_practice_questions_carry_no_answer_until_answered(cast: Any, east_bank: Bank) -> None:
    client = api(cast.east.learner.user)
    listed = client.get("/api/v1/practice/questions/", {"bank": east_bank.pk}).json()
    assert listed["count"] == 4
    for item in listed["results"]:
        assert "answer" not in item
        assert "explanation" not in item
        assert "answer_text" not in item
    fill = next(i for i in listed["results"] if i["type"] == "fill_blank")
    assert fill["blanks"] == 1
    single = next(i for i in listed["results"] if i["type"] == "single")
    result = client.post(f"/api/v1/practice/questions/{single['id']}/answer/", {"answer": "a"}, format="json").json()
    assert result == {"correct": False, "given": "A", "answer": "B", "answer_text": "B", "explanation": "火警119。"}
    wrong_book = client.get("/api/v1/practice/questions/", {"mode": "wrong"}).json()
    assert [q["id"] for q in wrong_book["results"]] == [single["id"]]
    tf = next(i for i in listed["results"] if i["type"] == "true_false")
    assert client.post(f"/api/v1/practice/questions/{tf['id']}/answer/", {"answer": True}, format="json").json()[
        "correct"
    ]
    accuracy = client.get("/api/v1/practice/questions/accuracy/").json()
    assert {r["knowledge_point"]: r["rate"] for r in accuracy} == {"消防器材": 0, "受限空间": 100}
    banks = client.get("/api/v1/practice/banks/").json()
    assert [b["code"] for b in banks["results"]] == [east_bank.code]


@pytest.mark.parametrize(
    "who", ["outsider", "west.training_admin", "west.bureau", "west.learner", "west.enterprise_admin"]
)
def test_others_get_nothing_on_every_route(cast: Any, east_bank: Bank, east_question: Question, who: str) -> None:
    client = api(cast_user(cast, who))
    job = ImportJob.objects.create(bank=east_bank, created_by=cast.east.training_admin, file_name="x.xlsx")
    for url in ("/api/v1/question-banks/", "/api/v1/questions/", "/api/v1/question-imports/", "/api/v1/practice/banks/",
                "/api/v1/practice/questions/"):  # fmt: skip
        body = client.get(url).json()
        assert body["count"] == 0, url
    for url in (f"/api/v1/question-banks/{east_bank.pk}/", f"/api/v1/questions/{east_question.pk}/",
                f"/api/v1/question-imports/{job.pk}/", f"/api/v1/question-banks/{east_bank.pk}/imports/",
                f"/api/v1/practice/banks/{east_bank.pk}/", f"/api/v1/practice/questions/{east_question.pk}/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert (
        client.patch(f"/api/v1/questions/{east_question.pk}/", {"answer_text": "A"}, format="json").status_code == 404
    )
    assert client.delete(f"/api/v1/questions/{east_question.pk}/").status_code == 404
    assert client.patch(f"/api/v1/question-banks/{east_bank.pk}/", {"name": "x"}, format="json").status_code == 404
    answer = client.post(f"/api/v1/practice/questions/{east_question.pk}/answer/", {"answer": "B"}, format="json")
    assert answer.status_code == 404
    assert "B" not in str(answer.json().get("answer", ""))
    east_question.refresh_from_db()
    assert east_question.answer == "B"
    assert east_question.is_active


def test_east_learner_cannot_read_answers_through_management_routes(
    cast: Any, east_bank: Bank, east_question: Question
) -> None:
    client = api(cast.east.learner.user)
    assert client.get("/api/v1/questions/").json()["count"] == 0
    assert client.get(f"/api/v1/questions/{east_question.pk}/").status_code == 404


def test_anonymous_is_refused() -> None:
    assert APIClient().get("/api/v1/practice/questions/").status_code in (401, 403)


def test_routes_are_in_the_openapi_schema(admin_client: Any) -> None:
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/question-banks/", "/api/v1/questions/{id}/", "/api/v1/question-banks/{id}/imports/",
                 "/api/v1/practice/questions/{id}/answer/", "/api/v1/practice/questions/accuracy/"):  # fmt: skip
        assert path in schema


def test_bank_purpose_is_documented_in_the_schema(admin_client: Any) -> None:
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    bank = schema["components"]["schemas"]["Bank"]["properties"]
    purpose = bank["purpose"]
    ref = purpose.get("$ref") or purpose["allOf"][0]["$ref"]
    assert ref.endswith("/BankPurposeEnum")  # ENUM_NAME_OVERRIDES: a name no other "purpose" field takes
    enum = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["enum"]
    assert set(enum) == {"practice", "exam_only"}
    assert "exam_only" in (purpose.get("description") or "")
