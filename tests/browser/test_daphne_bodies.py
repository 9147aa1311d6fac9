"""A body the server cannot parse reaches Django, under the real servers (daphne and gunicorn).

Twisted, under daphne, used to parse a multipart POST body itself and answer an
empty multipart (``--b--``) with a bare ``400 Bad Request``: no Content-Type,
no body, before Django saw it (core/daphne.py). Each door of the token
client's proctored-exam journey now answers in the API's error shape, and so does
each under gunicorn (config/gunicorn.py), the scaled-out topology's HTTP server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from tests.support.servers import ROOT, free_port, server

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


@pytest.fixture(scope="module")
def gunicorn_url(server_env: dict[str, str], server_dir: Path, live_server_url: str) -> Iterator[str]:
    """gunicorn with config/gunicorn.py (2 gthread workers) on the live server's database, as deployed."""
    port = free_port()
    log = server_dir / f"gunicorn-{port}.log"
    env = {**server_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2"}
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "python:config.gunicorn"]
    with server(command, port=port, env=env, log=log, stop_seconds=30) as url:
        yield url


@pytest.fixture(params=["daphne", "gunicorn"])
def server_url(request: pytest.FixtureRequest, live_server_url: str) -> str:
    return live_server_url if request.param == "daphne" else request.getfixturevalue("gunicorn_url")


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
def test_an_empty_multipart_body_gets_a_json_answer(path: str, server_url: str, learner_token: str) -> None:
    status, headers, body = _post(server_url + path, learner_token, b"--b--\r\n", "multipart/form-data; boundary=b")
    assert 400 <= status < 500
    assert headers.get("Content-Type") == "application/json"
    assert json.loads(body)["detail"]


def test_a_broken_multipart_body_is_worded_by_the_api(server_url: str, learner_token: str) -> None:
    # Django's own multipart parser refuses this one: DRF turns it into the API's 400.
    status, headers, body = _post(
        server_url + "/api/v1/proctoring/enrolment/", learner_token, b"garbage", "multipart/form-data"
    )
    assert status == 400
    assert headers.get("Content-Type") == "application/json"
    data = json.loads(body)
    assert data["detail"]
    assert data["errors"]
