"""The OpenAPI schema generates cleanly and the docs are self-hosted."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.django_db
def test_schema_generates_without_warnings_or_errors(tmp_path) -> None:
    out = tmp_path / "schema.yml"
    stderr = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=stderr)
    assert "/api/v1/me/" in out.read_text()
    assert "Warning" not in stderr.getvalue()
    assert "Error" not in stderr.getvalue()


@pytest.mark.django_db
def test_schema_endpoint_describes_the_api(admin_client: Client) -> None:
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for route in ("/api/v1/auth/token/", "/api/v1/me/", "/api/v1/enterprises/", "/api/v1/people/"):
        assert route in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_docs_load_their_assets_from_our_static(admin_client: Client) -> None:
    client = admin_client
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the docs page references no assets"
    for url in assets:
        assert url.startswith("/"), f"{url} is not served by the project"
        assert not url.startswith("//"), url
    scripts = [u for u in assets if u.endswith(".js")]
    assert any("swagger-ui" in u for u in scripts)
    for url in scripts:
        assert client.get(url).status_code == 200, url
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_a_districts_parent_code_is_null_and_documented_so(cast) -> None:
    from tests.conftest import login_client

    schema = login_client(cast.east.bureau).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["Jurisdiction"]["properties"]["parent_code"].get("nullable") is True
    response = login_client(cast.east.bureau).get(f"/api/v1/jurisdictions/{cast.east.jurisdiction.pk}/")
    assert response.status_code == 200
    assert response.json()["parent_code"] is None


@pytest.mark.django_db
def test_every_operation_documents_its_error_answers(admin_client: Client) -> None:
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    for path, operations in schema["paths"].items():
        assert "{format}" not in path  # the router's .json twins are not operations of their own
        for method, operation in operations.items():
            for code in ("400", "401", "403", "404"):
                assert code in operation["responses"], f"{method.upper()} {path} does not document {code}"


@pytest.mark.django_db
def test_the_docs_and_the_schema_are_for_signed_in_users_and_speak_chinese(admin_client: Client) -> None:
    docs = Client().get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/accounts/login/?next=/api/docs/")
    assert Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 401
    # The token route, the API's own login, stays open.
    assert Client().post("/api/v1/auth/token/", {}).status_code == 400
    page = admin_client.get("/api/docs/").content.decode()
    assert "<title>安全培训平台 API</title>" in page
    info = admin_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["info"]
    assert info["title"] == "安全培训平台 API"
    assert info["description"].startswith("安全培训考试平台（培考一体）的接口")
    english = admin_client.get("/api/schema/?lang=en", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert english["info"]["title"] == "safetrain API"
