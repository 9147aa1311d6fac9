"""A lesson's file and a document's page images on the token API (no browser session): the links the
lesson's detail gives can be followed with the token, under the same scope and with the same answers
as the lesson player's routes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from PIL import Image

from tests.conftest import Cast, login_client, token_client
from tests.support.documents import NUMBERED_PDF as NUMBERED
from tests.training.conftest import FAKE_MP4, World, make_lesson
from tests.training.library_support import make_plan
from training.models import Lesson
from training.pdf_pages import PAGE_CONTENT_TYPE

pytestmark = pytest.mark.django_db


def _document(world: World) -> Lesson:
    """A document lesson of the course assigned to the east learner: pdf.js's 17 numbered pages."""
    return make_lesson(world.video.chapter, "有限空间作业规程", Lesson.Kind.DOCUMENT, data=NUMBERED, order=9)


def _media(lesson: Lesson) -> str:
    return f"/api/v1/lessons/{lesson.pk}/media/"


def _page(lesson: Lesson, number: int) -> str:
    return f"/api/v1/lessons/{lesson.pk}/pages/{number}/"


def _image(response: Any) -> Image.Image:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == PAGE_CONTENT_TYPE
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_the_lesson_detail_links_to_its_file_and_pages_on_the_api(world: World) -> None:
    document = _document(world)
    client = token_client(world.learner.user)
    lesson = client.get(f"/api/v1/lessons/{document.pk}/").json()
    assert lesson["media_url"] == _media(document)
    assert len(lesson["page_urls"]) == document.page_count == 17
    assert lesson["page_urls"][1].startswith(_page(document, 2) + "?v=")
    pdf = client.get(lesson["media_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.getvalue() == NUMBERED
    first, last = _image(client.get(lesson["page_urls"][0])), _image(client.get(lesson["page_urls"][-1]))
    assert first.width > 0
    assert first.tobytes() != last.tobytes()


def test_a_video_or_article_has_no_page_urls(world: World) -> None:
    client = token_client(world.learner.user)
    video = client.get(f"/api/v1/lessons/{world.video.pk}/").json()
    assert video["page_urls"] == []
    assert video["media_url"] == _media(world.video)
    article = client.get(f"/api/v1/lessons/{world.article.pk}/").json()
    assert (article["media_url"], article["page_urls"]) == (None, [])


def test_the_media_streams_whole_or_by_range_with_a_token(world: World) -> None:
    client, size = token_client(world.learner.user), len(FAKE_MP4)
    whole = client.get(_media(world.video))
    assert whole.status_code == 200
    assert whole.getvalue() == FAKE_MP4
    assert (whole["Content-Type"], whole["Accept-Ranges"]) == ("video/mp4", "bytes")
    assert (whole["Cache-Control"], whole["Content-Disposition"]) == ("private, no-store", "inline")
    part = client.get(_media(world.video), HTTP_RANGE="bytes=4-11")
    assert part.status_code == 206
    assert part.getvalue() == b"ftypmp42"
    assert (part["Content-Range"], part["Content-Length"]) == (f"bytes 4-11/{size}", "8")
    assert part["Cache-Control"] == "private, no-store"
    tail = client.get(_media(world.video), HTTP_RANGE="bytes=-16")
    assert (tail.status_code, tail.getvalue()) == (206, FAKE_MP4[-16:])
    past = client.get(_media(world.video), HTTP_RANGE=f"bytes={size}-")
    assert past.status_code == 416
    assert past["Content-Range"] == f"bytes */{size}"


def test_a_range_the_file_does_not_have_is_a_json_error_on_the_api(world: World) -> None:
    """A 416 is an error like the API's others: JSON with a detail and a code, whatever the client accepts."""
    client, size = token_client(world.learner.user), len(FAKE_MP4)
    for accept in ("application/json", "video/mp4"):
        past = client.get(_media(world.video), HTTP_RANGE=f"bytes={size + 10}-", HTTP_ACCEPT=accept)
        assert past.status_code == 416
        assert past["Content-Range"] == f"bytes */{size}"
        assert past["Content-Type"] == "application/json"
        assert past.json() == {
            "detail": f"Range 请求头所要的字节超出了文件范围：文件共 {size} 字节。",
            "code": "range_not_satisfiable",
        }


def test_a_client_asking_for_the_files_own_type_is_served(world: World) -> None:
    document = _document(world)
    client = token_client(world.learner.user)
    assert client.get(_media(world.video), HTTP_ACCEPT="video/mp4").status_code == 200
    assert client.get(_page(document, 1), HTTP_ACCEPT=PAGE_CONTENT_TYPE).status_code == 200
    refused = client.get(_page(document, 18), HTTP_ACCEPT=PAGE_CONTENT_TYPE)
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"


def test_pages_out_of_range_and_lessons_without_pages_are_not_found(world: World) -> None:
    document = _document(world)
    client = token_client(world.learner.user)
    assert client.get(_page(document, 0)).status_code == 404
    assert client.get(_page(document, 18)).status_code == 404
    _image(client.get(_page(document, 17)))
    assert client.get(_page(world.video, 1)).status_code == 404
    assert client.get(_page(world.article, 1)).status_code == 404
    assert client.get(_media(world.article)).status_code == 404


def test_a_pdf_damaged_in_storage_is_not_found(world: World) -> None:
    document = _document(world)
    client = token_client(world.learner.user)
    _image(client.get(_page(document, 2)))
    Path(document.media.path).write_bytes(b"%PDF-1.4 damaged")  # after the upload's checks
    response = client.get(_page(document, 1))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_validates_the_scope(world: World, cast: Cast) -> None:
    document = _document(world)
    for user in (cast.outsider, cast.west.learner.user, cast.west.enterprise_admin, cast.west.bureau):
        client = token_client(user)
        for url in (_media(world.video), _media(document), _page(document, 1)):
            response = client.get(url, HTTP_RANGE="bytes=0-9")
            assert response.status_code == 404, (user, url)
            assert response.json()["code"] == "not_found"
    for url in (_media(world.video), _page(document, 1)):
        assert Client().get(url).status_code == 401


def test_both_doors_answer_alike(world: World) -> None:
    """The player's routes (a session) and the API's (a token) send the same bytes and headers; a range the
    file does not have is a 416 with the same ``Content-Range`` on both, and a JSON error only on the API
    (the player's video element reads no body)."""
    document = _document(world)
    web, api = login_client(world.learner.user), token_client(world.learner.user)
    doors = [
        (reverse("training:lesson_media", args=[world.video.pk]), _media(world.video)),
        (reverse("training:lesson_page", args=[document.pk, 3]), _page(document, 3)),
    ]
    refused = []
    for web_url, api_url in doors:
        for headers in ({}, {"HTTP_RANGE": "bytes=10-99"}, {"HTTP_RANGE": "bytes=999999-"}):
            one, other = web.get(web_url, **headers), api.get(api_url, **headers)
            assert one.status_code == other.status_code, (web_url, headers)
            if one.status_code == 416:
                assert one["Content-Range"] == other["Content-Range"] == f"bytes */{len(FAKE_MP4)}"
                assert one.content == b""
                assert other.json()["code"] == "range_not_satisfiable"
                refused.append(web_url)
                continue
            assert one.getvalue() == other.getvalue(), (web_url, headers)
            for header in ("Content-Type", "Content-Range", "Cache-Control", "Content-Disposition", "Accept-Ranges"):
                assert one.get(header) == other.get(header), (web_url, headers, header)
    assert refused == [doors[0][0]]


def test_each_answer_is_documented_in_the_schema(world: World) -> None:
    """Statuses and types as the schema names them (schemathesis finds no lesson to fetch: its cast has none)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    paths = json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))["paths"]
    document = _document(world)
    client = token_client(world.learner.user)
    answers = [
        ("/api/v1/lessons/{id}/media/", client.get(_media(world.video))),
        ("/api/v1/lessons/{id}/media/", client.get(_media(document), HTTP_RANGE="bytes=0-99")),
        ("/api/v1/lessons/{id}/media/", client.get(_media(world.video), HTTP_RANGE="bytes=999999-")),
        ("/api/v1/lessons/{id}/media/", client.get(_media(world.article))),
        ("/api/v1/lessons/{id}/pages/{number}/", client.get(_page(document, 1))),
        ("/api/v1/lessons/{id}/pages/{number}/", client.get(_page(document, 99))),
    ]
    assert [response.status_code for _path, response in answers] == [200, 206, 416, 404, 200, 404]
    for path, response in answers:
        documented = paths[path]["get"]["responses"][str(response.status_code)]
        assert response["Content-Type"] in documented["content"], (path, response.status_code)


def test_a_lesson_plan_file_is_served_to_a_client_asking_for_its_type(cast: Cast) -> None:
    plan = make_plan(
        cast.east.enterprise_admin,
        "共享",
        owner_enterprise=cast.east.enterprises[0],
        share="subtree",
        shared_with=cast.east.jurisdiction,
    )
    client = token_client(cast.east.enterprise_admin)
    for accept in ("application/pdf", "application/octet-stream"):
        response = client.get(f"/api/v1/lesson-plans/{plan.pk}/file/", HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response.getvalue()[:5] == b"%PDF-"
