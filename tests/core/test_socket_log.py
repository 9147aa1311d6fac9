"""One JSON line per websocket connection (core.sockets): ids, route and counts, never a frame's content."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from core.sockets import route_template
from tests.conftest import Cast
from tests.doors import session_cookie, socket_answer, socket_open
from tests.proctoring.conftest import make_proctored

OWN_ORIGIN = (b"origin", b"http://127.0.0.1:8000")
db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_route_template_never_holds_the_ids() -> None:
    assert (
        route_template("/ws/proctoring/attempts/5071/", {"attempt_id": 5071}) == "ws/proctoring/attempts/<attempt_id>/"
    )
    assert route_template("/ws/ping/", {}) == "ws/ping/"


@db
def test_an_examinee_socket_is_one_line_with_its_ids_and_no_content(cast: Cast, request_lines: list[str]) -> None:
    data = make_proctored(cast)
    attempt = data["attempt"]
    user = cast.east.learner.user
    secret = "绝密内容七号"
    headers = [OWN_ORIGIN, session_cookie(user), (b"x-request-id", b"req-from-proxy-0042")]

    async def run() -> None:
        communicator, accepted, _detail = await socket_open(f"/ws/proctoring/attempts/{attempt.pk}/", headers)
        assert accepted
        hello = await communicator.receive_json_from(timeout=10)
        assert hello["type"] == "hello"
        await communicator.send_json_to({"type": "note", "text": secret})  # refused by the consumer: still a frame in
        await communicator.receive_json_from(timeout=10)
        await communicator.disconnect(code=1001)

    async_to_sync(run)()
    lines = [line for line in request_lines if '"WEBSOCKET"' in line]
    assert len(lines) == 1
    record: dict[str, Any] = json.loads(lines[0])
    assert record["request_id"] == "req-from-proxy-0042"
    assert record["path"] == "ws/proctoring/attempts/<attempt_id>/"
    assert record["view"] == "ExamineeConsumer"
    assert record["attempt_id"] == attempt.pk
    assert record["user_id"] == user.pk
    assert record["accepted"] is True
    assert record["close_code"] == 1001
    assert record["frames_in"] == 1
    assert record["frames_out"] >= 2  # the hello and the answer to the frame
    assert record["duration_ms"] >= 0
    for private in (secret, cast.east.learner.id_number, cast.east.learner.name):
        assert private not in lines[0]


@db
def test_a_refused_socket_is_logged_once_with_its_close_code(cast: Cast, request_lines: list[str]) -> None:
    data = make_proctored(cast)
    assert socket_answer(f"/ws/proctoring/attempts/{data['attempt'].pk}/", [OWN_ORIGIN]) == (False, 4401)
    lines = [json.loads(line) for line in request_lines if '"WEBSOCKET"' in line]
    assert len(lines) == 1
    assert (lines[0]["accepted"], lines[0]["close_code"], lines[0]["user_id"]) == (False, 4401, None)
    assert len(lines[0]["request_id"]) == 32  # none was given: a new one


@db
def test_no_line_when_the_request_log_is_off(cast: Cast, request_lines: list[str], settings: Any) -> None:
    settings.REQUEST_LOG = False
    data = make_proctored(cast)
    assert socket_answer(f"/ws/proctoring/attempts/{data['attempt'].pk}/", [OWN_ORIGIN]) == (False, 4401)
    assert not [line for line in request_lines if '"WEBSOCKET"' in line]
