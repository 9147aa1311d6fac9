"""What every page shares: the favicon, the Chinese 403 page and its one-line log, the admin's app names."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import Cast, login_client

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_logo() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
    assert finders.find("img/logo.svg")


def test_a_refused_page_is_chinese_and_logged_in_one_line(cast: Cast, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login_client(cast.east.learner.user).get("/org/roster/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-error-page="403"' in page
    assert "无权访问" in page
    assert "Forbidden" not in page
    refused = [r for r in caplog.records if r.name == "django.request" and "/org/roster/" in r.getMessage()]
    assert refused, "the 403 is still logged"
    assert all(r.exc_info is None and r.levelname == "WARNING" for r in refused)


def test_other_errors_keep_their_traceback() -> None:
    from config.logfilters import PermissionDeniedWithoutTraceback

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), sys.exc_info()
        )
    assert PermissionDeniedWithoutTraceback().filter(record)
    assert record.exc_info is not None


def test_the_admin_names_each_app_once_and_in_chinese(admin_client: Client) -> None:
    page = admin_client.get("/admin/").content.decode()
    for name in ("用户账号", "登录邮箱", "两步验证", "身份验证器"):
        assert name in page
    assert "Authenticators" not in page
    changelist = admin_client.get("/admin/organizations/enterprise/").content.decode()
    assert "过滤器" not in changelist
    assert "筛选" in changelist


def test_the_enterprise_column_and_the_bank_name_are_not_called_姓名(cast: Cast) -> None:
    page = login_client(cast.east.bureau).get("/org/enterprises/").content.decode()
    assert "<th>企业名称</th>" in page
    assert "<th>姓名</th>" not in page
    form = login_client(cast.east.training_admin).get("/qb/banks/new/").content.decode()
    assert 'for="id_name">名称' in form
