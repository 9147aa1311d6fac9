"""An enterprise asked for within a jurisdiction it was never registered in is refused
on every door (pages, export, API, command) by the one rule in ``query_build``, with
a message that names both: before, every figure came back 0 / 0 and read as a fact."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests import factories
from tests.conftest import Cast, login_client

CODE = "principal_certified_rate"
PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def mismatch(cast: Cast) -> dict[str, Any]:
    street = factories.make_jurisdiction("990101002", "东区第二街道", parent=cast.east.jurisdiction)
    enterprise = cast.east.enterprises[0]
    return {"jurisdiction": street.code, "enterprise": enterprise.credit_code, "names": (street.name, enterprise.name)}


def test_the_pages_and_the_export_refuse_it(cast: Cast, mismatch: dict[str, Any]) -> None:
    params = {**PERIOD, "jurisdiction": mismatch["jurisdiction"], "enterprise": mismatch["enterprise"]}
    client = login_client(cast.east.bureau)
    for name, extra in (
        ("analytics:overview", {}),
        ("analytics:indicator", {"indicator": CODE}),
        ("analytics:people", {"indicator": CODE, "status": "missing"}),
    ):
        response = client.get(f"{reverse(name)}?{urlencode({**params, **extra})}")
        assert response.status_code == 400, name
        html = response.content.decode()
        assert 'data-field="enterprise"' in html
        assert all(n in html for n in mismatch["names"]), name
        assert "从未登记在" in html
    export = client.post("/stats/exports/", {"code": CODE, **params})
    assert export.status_code == 400
    assert "从未登记在" in export.content.decode()


def test_the_api_refuses_it_naming_the_field(cast: Cast, mismatch: dict[str, Any]) -> None:
    token, _ = Token.objects.get_or_create(user=cast.east.bureau)
    params = {**PERIOD, "jurisdiction": mismatch["jurisdiction"], "enterprise": mismatch["enterprise"]}
    for path in (f"/api/v1/stats/indicators/{CODE}/", f"/api/v1/stats/indicators/{CODE}/people/"):
        response = login_client(cast.east.bureau).get(path, params, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 400, path
        body = response.json()
        assert list(body["errors"]) == ["enterprise"]
        assert all(n in body["errors"]["enterprise"][0] for n in mismatch["names"])


def test_the_command_refuses_it_and_writes_nothing(cast: Cast, mismatch: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError) as refused:
        call_command(
            "export_indicators", CODE, "--from", PERIOD["from"], "--to", PERIOD["to"],
            "--jurisdiction", mismatch["jurisdiction"], "--enterprise", mismatch["enterprise"],
            "--format", "csv", "-o", str(out), stdout=io.StringIO(),
        )  # fmt: skip
    assert "--enterprise" in str(refused.value)
    assert list(tmp_path.iterdir()) == []
