"""Errors speak the reader's language: API 404s and CSRF refusals, the lockout JSON (UTF-8,
not \\u escapes), the schema's field titles, and the 404/500 pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings
from django.utils import translation
from django.views.defaults import server_error
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.lockout import lockout_response
from tests.conftest import login_client

pytestmark = pytest.mark.django_db

ZH = {"Accept-Language": "zh-hans"}


@pytest.mark.parametrize(
    "path", ["/api/v1/question-banks/987654/", "/api/v1/practice/questions/987654/", "/api/v1/jurisdictions/987654/"]
)
def test_an_api_404_is_in_chinese_and_names_no_model(cast: Any, path: str) -> None:
    client = APIClient()
    client.force_authenticate(cast.east.bureau)
    response = client.get(path, headers=ZH)
    assert response.status_code == 404
    body = response.json()
    assert body["detail"] == "未找到。"
    assert "matches" not in response.content.decode()
    assert body["code"] == "not_found"


def test_a_csrf_refusal_is_in_chinese(cast: Any) -> None:
    client = login_client(cast.east.bureau)
    client.handler.enforce_csrf_checks = True
    client.cookies["csrftoken"] = "a" * 32  # a cookie but no token sent with the POST
    response = client.post("/api/v1/question-banks/", {}, content_type="application/json", headers=ZH)
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail.startswith("CSRF 校验失败")
    assert "缺少 CSRF 令牌" in detail
    assert "Failed" not in detail


def test_the_lockout_json_is_plain_utf8(db: None) -> None:
    request = RequestFactory().post("/api/v1/auth/token/")
    with translation.override("zh-hans"):
        response = lockout_response(request, None, {"username": "nobody"})
    assert response.status_code == 429
    assert b"\\u" not in response.content
    assert "账户已被锁定" in response.content.decode() or "锁定" in response.content.decode()


def test_schema_titles_name_things_not_people() -> None:
    with translation.override("zh-hans"):
        schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for component in ("Bank", "Jurisdiction", "Enterprise"):
        assert schemas[component]["properties"]["name"]["title"] == "名称", component
    assert schemas["Person"]["properties"]["name"]["title"] == "姓名"


@override_settings(DEBUG=False)
def test_the_404_page_is_chinese(cast: Any) -> None:
    for client in (Client(), login_client(cast.east.learner.user)):
        response = client.get("/no-such-page/", headers=ZH)
        assert response.status_code == 404
        page = response.content.decode()
        assert 'data-error-page="404"' in page
        assert "页面不存在" in page
        assert "/static/" in page  # the site's stylesheet


@override_settings(DEBUG=False)
def test_the_500_page_is_chinese_and_plain() -> None:
    with translation.override("zh-hans"):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器错误" in page
    assert "Server Error (500)" not in page
    assert "css/app" in page
