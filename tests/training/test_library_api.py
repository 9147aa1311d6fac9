"""GET /api/v1/lesson-plans/ (scoped search), its detail, its file and a PDF plan's page images."""

from __future__ import annotations

import io
import json
from typing import Any

from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from PIL import Image

from tests.conftest import Cast, login_client, token_client
from tests.support.documents import NUMBERED_PDF as NUMBERED
from tests.training.library_support import docx_bytes, make_plan
from training.models import LessonPlan
from training.pdf_pages import PAGE_CONTENT_TYPE


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
    client = token_client(cast.east.training_admin)
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
    assert token_client(cast.west.training_admin).get("/api/v1/lesson-plans/").json()["count"] == 0


def test_detail_and_file_for_the_district_only(cast: Cast) -> None:
    plan = shared(cast, "共享")
    client = token_client(cast.east.enterprise_admin)
    assert client.get(f"/api/v1/lesson-plans/{plan.pk}/").json()["owner"] == cast.east.enterprises[0].name
    response = client.get(f"/api/v1/lesson-plans/{plan.pk}/file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    for user in (cast.west.enterprise_admin, cast.west.bureau, cast.east.learner.user):
        assert token_client(user).get(f"/api/v1/lesson-plans/{plan.pk}/").status_code == 404
        assert token_client(user).get(f"/api/v1/lesson-plans/{plan.pk}/file/").status_code == 404
    assert Client().get("/api/v1/lesson-plans/").status_code in (401, 403)


def test_a_bad_filter_is_a_400_in_the_one_error_shape(cast: Cast) -> None:
    body = token_client(cast.east.training_admin).get("/api/v1/lesson-plans/", {"level": "nope"})
    assert body.status_code == 400
    data = body.json()
    assert {"detail", "code", "errors"} <= set(data)
    assert "level" in data["errors"]


def test_a_plan_whose_file_storage_lost_is_a_404_on_the_api_and_the_page(cast: Cast) -> None:
    """A row whose file is gone (purged, restored without media, a host without the shared storage) is a
    404 that says so, on both doors, never a 500 (found by the scope walk on the scaled topology)."""
    plan = shared(cast, "《受限空间》教案")
    plan.file.storage.delete(plan.file.name)
    answer = token_client(cast.east.training_admin).get(f"/api/v1/lesson-plans/{plan.pk}/file/")
    assert answer.status_code == 404
    assert (answer.json()["code"], answer.json()["detail"]) == ("file_gone", "文件已不在存储中。")
    page = login_client(cast.east.training_admin).get(f"/training/library/{plan.pk}/file/")
    assert page.status_code == 404


# --- a PDF plan's page images ------------------------------------------------------------------


def _page(plan: LessonPlan, number: int) -> str:
    return f"/api/v1/lesson-plans/{plan.pk}/pages/{number}/"


def _image(response: Any) -> Image.Image:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == PAGE_CONTENT_TYPE
    assert response["Cache-Control"] == "private, max-age=3600"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_a_pdf_plans_pages_are_images_on_the_api(cast: Cast) -> None:
    plan = shared(cast, "有限空间作业规程（教案）", data=NUMBERED)
    client = token_client(cast.east.training_admin)
    detail = client.get(f"/api/v1/lesson-plans/{plan.pk}/").json()
    assert len(detail["page_urls"]) == 17
    assert detail["page_urls"][1].startswith(_page(plan, 2) + "?v=")
    first = _image(client.get(detail["page_urls"][0], HTTP_ACCEPT=PAGE_CONTENT_TYPE))
    last = _image(client.get(detail["page_urls"][-1]))
    assert first.width == 1240
    assert first.tobytes() != last.tobytes()


def test_a_plan_page_on_the_api_is_the_libraries_page(cast: Cast) -> None:
    """The library's preview (a session) and the API (a token) send the same image, headers and statuses."""
    plan = shared(cast, "有限空间作业规程（教案）", data=NUMBERED)
    web, token = login_client(cast.east.training_admin), token_client(cast.east.training_admin)
    for number in (3, 0, 18):
        one = web.get(reverse("training:library_page", args=[plan.pk, number]))
        other = token.get(_page(plan, number))
        assert one.status_code == other.status_code, number
        if one.status_code == 200:
            assert one.content == other.content
            for header in ("Content-Type", "Cache-Control"):
                assert one[header] == other[header], header
    assert other.json()["code"] == "not_found"


def test_pages_a_plan_does_not_have_are_not_found(cast: Cast) -> None:
    plan = shared(cast, "有限空间作业规程（教案）", data=NUMBERED)
    client = token_client(cast.east.training_admin)
    _image(client.get(_page(plan, 17)))
    for number in (0, 18):
        response = client.get(_page(plan, number))
        assert response.status_code == 404, number
        assert response.json()["code"] == "not_found"


def test_a_word_plan_has_no_pages(cast: Cast) -> None:
    plan = shared(cast, "《动火作业》教案", data=docx_bytes(), name="a.docx")
    client = token_client(cast.east.training_admin)
    assert client.get(f"/api/v1/lesson-plans/{plan.pk}/").json()["page_urls"] == []
    response = client.get(_page(plan, 1))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_plans_pages_are_refused_outside_its_scope(cast: Cast) -> None:
    plan = shared(cast, "有限空间作业规程（教案）", data=NUMBERED)
    assert token_client(cast.east.enterprise_admin).get(_page(plan, 1)).status_code == 200
    for user in (cast.west.training_admin, cast.west.enterprise_admin, cast.west.bureau, cast.outsider):
        response = token_client(user).get(_page(plan, 1), HTTP_ACCEPT=PAGE_CONTENT_TYPE)
        assert response.status_code == 404, user
        assert response.json()["code"] == "not_found"
    assert Client().get(_page(plan, 1)).status_code == 401


def test_the_plan_routes_answers_are_documented_in_the_schema(cast: Cast) -> None:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    paths = json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))["paths"]
    pdf = shared(cast, "有限空间作业规程（教案）", data=NUMBERED)
    word = shared(cast, "《动火作业》教案", data=docx_bytes(), name="a.docx")
    client = token_client(cast.east.training_admin)
    answers = [
        ("/api/v1/lesson-plans/{id}/pages/{number}/", client.get(_page(pdf, 1))),
        ("/api/v1/lesson-plans/{id}/pages/{number}/", client.get(_page(pdf, 18))),
        ("/api/v1/lesson-plans/{id}/pages/{number}/", client.get(_page(word, 1))),
        ("/api/v1/lesson-plans/{id}/file/", client.get(f"/api/v1/lesson-plans/{pdf.pk}/file/")),
        ("/api/v1/lesson-plans/{id}/file/", client.get(f"/api/v1/lesson-plans/{word.pk}/file/")),
    ]
    assert [response.status_code for _path, response in answers] == [200, 404, 404, 200, 200]
    for path, response in answers:
        documented = paths[path]["get"]["responses"][str(response.status_code)]
        assert response["Content-Type"] in documented["content"], (path, response["Content-Type"])
