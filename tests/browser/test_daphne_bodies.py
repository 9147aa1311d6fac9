"""A body the server cannot parse reaches Django, under the real server (daphne).

Twisted, under daphne, used to parse a multipart POST body itself and answer an
empty multipart (``--b--``) with a bare ``400 Bad Request``: no Content-Type,
no body, before Django saw it (config/daphne.py). Each door of the token
client's proctored-exam journey now answers in the API's error shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

pytestmark = pytest.mark.browser

DOORS = [
    "/api/v1/exams/1/attempts/",
    "/api/v1/attempts/1/submit/",
    "/api/v1/proctoring/enrolment/",
    "/api/v1/exams/1/identity-check/",
]


@pytest.fixture(scope="module")
def learner_token(run_manage: Callable[..., Any], live_server_url: str) -> str:
    result = run_manage(
        "shell",
        "-c",
        "from rest_framework.authtoken.models import Token; from accounts.models import User; "
        "print('TOKEN=' + Token.objects.get_or_create(user=User.objects.get(username='demo_learner'))[0].key)",
    )
    return next(line for line in result.stdout.splitlines() if line.startswith("TOKEN="))[6:]


def _post(url: str, token: str, body: bytes, content_type: str) -> tuple[int, dict[str, str], bytes]:
    request = Request(  # noqa: S310 - loopback
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": content_type, "Accept-Language": "zh-hans"},
    )
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.parametrize("path", DOORS)
def test_an_empty_multipart_body_gets_a_json_answer(path: str, live_server_url: str, learner_token: str) -> None:
    status, headers, body = _post(
        live_server_url + path, learner_token, b"--b--\r\n", "multipart/form-data; boundary=b"
    )
    assert 400 <= status < 500
    assert headers.get("Content-Type") == "application/json"
    assert json.loads(body)["detail"]


def test_a_broken_multipart_body_is_worded_by_the_api(live_server_url: str, learner_token: str) -> None:
    # Django's own multipart parser refuses this one: DRF turns it into the API's 400.
    status, headers, body = _post(
        live_server_url + "/api/v1/proctoring/enrolment/", learner_token, b"garbage", "multipart/form-data"
    )
    assert status == 400
    assert headers.get("Content-Type") == "application/json"
    data = json.loads(body)
    assert data["detail"]
    assert data["errors"]
