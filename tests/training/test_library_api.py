"""GET /api/v1/lesson-plans/ (scoped search), its detail and its file."""

from __future__ import annotations

from typing import Any

from django.test import Client
from rest_framework.authtoken.models import Token

from tests.conftest import Cast, login_client
from tests.training.library_support import docx_bytes, make_plan
from training.models import LessonPlan


def api(user: Any) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def shared(cast: Cast, title: str, **fields: Any) -> LessonPlan:
    return make_plan(
        cast.east.enterprise_admin,
        title,
        owner_enterprise=cast.east.enterprises[0],
        share="subtree",
        shared_with=cast.east.jurisdiction,
        **fields,
    )


def test_the_list_is_scoped_and_searchable(cast: Cast) -> None:
    shared(cast, "《有限空间作业安全》教案", level="workshop", topic="通风")
    shared(cast, "《动火作业》教案", level="team", data=docx_bytes(), name="a.docx")
    client = api(cast.east.training_admin)
    body = client.get("/api/v1/lesson-plans/").json()
    assert {p["title"] for p in body["results"]} == {"《有限空间作业安全》教案", "《动火作业》教案"}
    found = client.get("/api/v1/lesson-plans/", {"q": "通风"}).json()["results"]
    assert [p["title"] for p in found] == ["《有限空间作业安全》教案"]
    assert found[0]["credit_hours"] == "2.0"
    assert found[0]["file_url"] == f"/api/v1/lesson-plans/{found[0]['id']}/file/"
    by_level = client.get("/api/v1/lesson-plans/", {"level": "team"}).json()["results"]
    assert [p["title"] for p in by_level] == ["《动火作业》教案"]
    industry = cast.east.enterprises[0].industry
    assert client.get("/api/v1/lesson-plans/", {"industry": industry.code}).json()["count"] == 2  # every industry
    assert api(cast.west.training_admin).get("/api/v1/lesson-plans/").json()["count"] == 0


def test_detail_and_file_for_the_district_only(cast: Cast) -> None:
    plan = shared(cast, "共享")
    client = api(cast.east.enterprise_admin)
    assert client.get(f"/api/v1/lesson-plans/{plan.pk}/").json()["owner"] == cast.east.enterprises[0].name
    response = client.get(f"/api/v1/lesson-plans/{plan.pk}/file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    for user in (cast.west.enterprise_admin, cast.west.bureau, cast.east.learner.user):
        assert api(user).get(f"/api/v1/lesson-plans/{plan.pk}/").status_code == 404
        assert api(user).get(f"/api/v1/lesson-plans/{plan.pk}/file/").status_code == 404
    assert Client().get("/api/v1/lesson-plans/").status_code in (401, 403)


def test_a_bad_filter_is_a_400_in_the_one_error_shape(cast: Cast) -> None:
    body = api(cast.east.training_admin).get("/api/v1/lesson-plans/", {"level": "nope"})
    assert body.status_code == 400
    data = body.json()
    assert {"detail", "code", "errors"} <= set(data)
    assert "level" in data["errors"]


def test_a_plan_whose_file_storage_lost_is_a_404_on_the_api_and_the_page(cast: Cast) -> None:
    """A row whose file is gone (purged, restored without media, a host without the shared storage) is a
    404 that says so, on both doors, never a 500 (found by the scope walk on the scaled topology)."""
    plan = shared(cast, "《受限空间》教案")
    plan.file.storage.delete(plan.file.name)
    answer = api(cast.east.training_admin).get(f"/api/v1/lesson-plans/{plan.pk}/file/")
    assert answer.status_code == 404
    assert (answer.json()["code"], answer.json()["detail"]) == ("file_gone", "文件已不在存储中。")
    page = login_client(cast.east.training_admin).get(f"/training/library/{plan.pk}/file/")
    assert page.status_code == 404
