"""Certificates about to run out: the certificate rates count them ("N certificates expire within
90 days"); every door lists who they are (status ``expiring``), with the day in the reason.

World (tests.analytics.world): east 张持证 (valid to 2099), 李无证 (none), 王过期 (expired 2021);
here a safety manager 孙将到期 (machinery plant) whose certificate runs out 2026-08-01, 32 days
after the reference date 2026-06-30, and a principal 周远期 (chemical plant) whose runs out
2026-12-01 (154 days: not yet).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from analytics.indicators import compute, people
from analytics.queries import query_build
from exams.models import CertificateType
from tests.analytics import world
from tests.conftest import Cast, english_client, login_client

CODE = "principal_certified_rate"
PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}
Post = world.Post


@pytest.fixture
def people_world(cast: Cast) -> dict[str, Any]:
    built = world.build(cast)
    soon = world.staff(cast.east.enterprises[1], Post.SAFETY_MANAGER, "孙将到期")
    world.certify(soon, CertificateType.SAFETY_MANAGER, valid_until=dt.date(2026, 8, 1))
    later = world.staff(cast.east.enterprises[0], Post.PRINCIPAL, "周远期")
    world.certify(later, CertificateType.PRINCIPAL, valid_until=dt.date(2026, 12, 1))
    return {**built, "soon": soon, "later": later}


def _api_expiring(user: Any, code: str) -> Any:
    """``GET /api/v1/stats/indicators/CODE/people/?status=expiring`` with the user's token."""
    token, _ = Token.objects.get_or_create(user=user)
    url = f"/api/v1/stats/indicators/{code}/people/"
    return Client().get(url, {"status": "expiring", **PERIOD}, HTTP_AUTHORIZATION=f"Token {token.key}")


def _command_expiring(code: str, out: Path) -> list[list[str]]:
    """``export_indicators CODE --people --status expiring`` as csv, read back."""
    period = ["--from", PERIOD["from"], "--to", PERIOD["to"]]
    options = ["--people", "--status", "expiring", "--format", "csv", "-o", str(out)]
    call_command("export_indicators", code, *period, *options, stdout=io.StringIO())
    return list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))


def _query(user: Any, **more: Any) -> Any:
    return query_build(user=user, code=CODE, params={**PERIOD, **more})


@pytest.mark.usefixtures("english")
def test_the_list_is_the_holders_the_figure_counts_as_expiring(cast: Cast, people_world: Any) -> None:
    query = _query(cast.east.bureau)
    assert compute(query).extra["expiring"] == 1
    assert compute(query, live=True).extra["expiring"] == 1
    lines = people(query, status="expiring")
    assert [(ln.name, ln.status, ln.reason) for ln in lines] == [
        ("孙将到期", "counted", "certificate expires on 2026-08-01")
    ]
    # The counted list itself gives no reasons, as before.
    assert {ln.name: ln.reason for ln in people(query, status="counted")} == {
        "张持证": "",
        "孙将到期": "",
        "周远期": "",
    }
    # A longer horizon takes the later one in too, and the figure agrees.
    wider = _query(cast.east.bureau, expiring_days="200")
    # The soonest first, though 周远期's enterprise (化工厂) sorts before 孙将到期's (机械厂) by name.
    assert [ln.name for ln in people(wider, status="expiring")] == ["孙将到期", "周远期"]
    assert compute(wider).extra["expiring"] == 2


def test_the_indicator_page_links_the_list_and_the_list_says_what_to_do(cast: Cast, people_world: Any) -> None:
    client = english_client(cast.east.bureau)
    page = client.get(f"{reverse('analytics:indicator')}?{urlencode({'indicator': CODE, **PERIOD})}").content.decode()
    assert "data-expiring-link>Expiring soon (1)</a>" in page
    listed = client.get(
        f"{reverse('analytics:people')}?{urlencode({'indicator': CODE, 'status': 'expiring', **PERIOD})}"
    ).content.decode()
    assert "Certificates expiring soon" in listed
    assert "runs out within 90 days" in listed
    assert "孙将到期" in listed
    assert "certificate expires on 2026-08-01" in listed
    assert "张持证" not in listed
    # Chinese by default.
    zh = login_client(cast.east.bureau).get(
        f"{reverse('analytics:people')}?{urlencode({'indicator': CODE, 'status': 'expiring', **PERIOD})}"
    )
    assert "证书即将到期" in zh.content.decode()


def test_an_indicator_without_certificates_refuses_the_status_on_every_door(
    cast: Cast, people_world: Any, tmp_path: Path
) -> None:
    other = "exam_pass_rate"
    page = login_client(cast.east.bureau).get(
        f"{reverse('analytics:people')}?{urlencode({'indicator': other, 'status': 'expiring', **PERIOD})}"
    )
    assert page.status_code == 400
    api = _api_expiring(cast.east.bureau, other)
    assert api.status_code == 400
    assert list(api.json()["errors"]) == ["status"]
    export = login_client(cast.east.bureau).post(
        reverse("analytics:export_start"),
        {"code": other, **PERIOD, "people": "1", "status": "expiring", "format": "csv"},
    )
    assert export.status_code == 400
    with pytest.raises(CommandError, match="--status"):
        _command_expiring(other, tmp_path / "x.csv")


def test_the_api_export_and_command_give_the_same_list(cast: Cast, people_world: Any, tmp_path: Path) -> None:
    api = _api_expiring(cast.east.bureau, CODE)
    assert api.status_code == 200
    assert [(r["name"], r["status"], r["reason"]) for r in api.json()["results"]] == [
        ("孙将到期", "counted", "证书将于 2026-08-01 到期")
    ]
    assert api.json()["count"] == 1

    export = login_client(cast.east.bureau).post(
        reverse("analytics:export_start"),
        {"code": CODE, **PERIOD, "people": "1", "status": "expiring", "format": "csv"},
    )
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert [r[0] for r in rows[1:]] == ["孙将到期"]

    lines = _command_expiring(CODE, tmp_path / "expiring.csv")
    assert [(r[0], r[4]) for r in lines[1:]] == [("孙将到期", "counted")]


def test_the_overview_tile_says_how_many_must_renew_and_leads_to_them(cast: Cast, people_world: Any) -> None:
    html = login_client(cast.east.bureau).get(f"{reverse('analytics:overview')}?{urlencode(PERIOD)}").content.decode()
    tile = html[html.index(f'data-tile="{CODE}"') :]
    tile = tile[: tile.index("</section>")]
    assert "1 人证书即将到期 ›" in tile
    assert f"indicator={CODE}&amp;status=expiring" in tile
    # No special operator's certificate runs out soon: no line on that tile.
    assert (
        "data-tile-expiring"
        not in html[html.index('data-tile="special_operator_certified_rate"') :].split("</section>")[0]
    )
