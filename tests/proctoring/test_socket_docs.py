"""What ``GET /api/v1/attempts/{id}/proctoring/`` documents about the socket is what the socket does.

- Statically: every frame the server code builds for the examinee (the consumer's
  ``send_json``/``error``, the services' ``broadcast.to_examinee`` and tab-policy
  notices) has a documented type, and only documented fields.
- Live: a socket session (events, a tab warning, errors, a snapshot and its face
  result, a proctor's warning, the end) receives only documented types and fields.
- Close codes: the handshake refusals are not close codes (a real server answers
  the handshake with HTTP 403); the one close code after accept is 4429.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from core import sockets
from proctoring import api, consumers
from proctoring.services import errors
from proctoring.services.actions import proctor_request_liveness, proctor_terminate, proctor_warn
from proctoring.services.errors import ProctoringError
from tests.conftest import Cast
from tests.doors import session_cookie, socket_open
from tests.proctoring.conftest import enrol_astronaut, make_proctored
from tests.proctoring.test_consumers import OWN_ORIGIN, _attempt_path

ROOT = Path(__file__).resolve().parents[2] / "proctoring"
SERVICES = sorted((ROOT / "services").glob("*.py"))


def _documented() -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for message in api.SERVER_MESSAGES:
        fields.setdefault(message["type"], set()).update(message["fields"])
        if isinstance(message["example"], dict):
            assert set(message["example"]) <= set(message["fields"]), message["type"]
    return fields


def _literal_frames(node: ast.AST) -> list[tuple[str, set[str], bool]]:
    """(type, keys, has ``**`` unpacking) of a dict literal with a constant ``type``."""
    if not isinstance(node, ast.Dict):
        return []
    keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
    kind = next(
        (
            v.value
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and k.value == "type"
        ),
        None,
    )
    if not isinstance(kind, str):
        return []
    return [(kind, keys, any(k is None for k in node.keys))]


def _error_extras() -> set[str]:
    """Keyword details of every ProctoringError the services raise (they ride on error frames)."""
    names = {name for name, obj in inspect.getmembers(errors, inspect.isclass) if issubclass(obj, ProctoringError)}
    extras: set[str] = set()
    for module in SERVICES:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
                extras.update(k.arg for k in node.keywords if k.arg)
    return extras


def _examinee_frames() -> list[tuple[str, set[str], bool]]:
    frames: list[tuple[str, set[str], bool]] = []
    services_trees = [ast.parse(module.read_text()) for module in SERVICES]
    for node in (node for tree in services_trees for node in ast.walk(tree)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        target = node.func
        if target.attr == "to_examinee" and len(node.args) == 2:
            frames += _literal_frames(node.args[1])
        elif target.attr == "append" and isinstance(target.value, ast.Attribute) and target.value.attr == "notices":
            frames += _literal_frames(node.args[0])
    consumer_tree = ast.parse((ROOT / "consumers.py").read_text())
    examinee = next(n for n in consumer_tree.body if isinstance(n, ast.ClassDef) and n.name == "ExamineeConsumer")
    for node in ast.walk(examinee):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "send_json":
            frames += _literal_frames(node.args[0])
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "hello" for t in node.targets):
            frames += _literal_frames(node.value)
    return frames


def test_every_frame_the_server_builds_for_the_examinee_is_documented() -> None:
    documented = _documented()
    frames = _examinee_frames()
    seen = {kind for kind, _keys, _unpacked in frames}
    # error frames are built by core.sockets.JsonSocket.error: type, code, detail and the refusal's details.
    seen.add("error")
    assert seen == set(documented), (seen, set(documented))
    for kind, keys, _unpacked in frames:
        assert keys <= documented[kind], (kind, keys - documented[kind])
    error_fields = {"type", "code", "detail", "seq"} | _error_extras()
    assert error_fields <= documented["error"], error_fields - documented["error"]


def test_the_consumer_error_frame_has_the_documented_base_fields() -> None:
    source = inspect.getsource(sockets.JsonSocket.error)
    frames = [f for node in ast.walk(ast.parse(source.strip())) for f in _literal_frames(node)]
    assert frames == [("error", {"type", "code", "detail"}, True)]


def test_close_codes_are_those_the_consumer_uses_after_accept() -> None:
    assert set(api.CLOSE_CODES) == {str(consumers.CLOSE_SNAPSHOT_FLOOD)}
    # 4401/4403 are sent before accept: a real server turns them into an HTTP 403 handshake answer.
    assert "403" in api.HANDSHAKE_REFUSED
    for code in (sockets.CLOSE_UNAUTHENTICATED, sockets.CLOSE_FORBIDDEN):
        assert str(code) not in api.CLOSE_CODES


def test_the_submitted_frame_is_documented_with_reason() -> None:
    submitted = next(m for m in api.SERVER_MESSAGES if m["type"] == "submitted")
    assert "reason" in submitted["example"]
    assert {"reason", "text", "from_proctor"} <= set(submitted["fields"])


# --- live ----------------------------------------------------------------------------------------------

db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@db
def test_a_socket_session_receives_only_documented_frames(
    cast: Cast, astronaut_jpeg: bytes, hopper_snapshot: bytes, settings: Any
) -> None:
    settings.BACKGROUND_BACKEND = "threads"
    data = make_proctored(cast, tab_warn_at=1, tab_ignore_seconds=0, phone_aware=False, face_flag_after=1)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    attempt = data["attempt"]
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]
    proctor = cast.east.proctor
    received: list[dict[str, Any]] = []

    async def run() -> None:
        examinee, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected

        async def until(kind: str, **match: Any) -> dict[str, Any]:
            while True:
                message = await examinee.receive_json_from(timeout=30)
                received.append(message)
                if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                    return message

        await until("hello")
        await examinee.send_json_to({"type": "ping"})
        await until("pong")
        await examinee.send_to(text_data="not json")
        await until("error")
        await examinee.send_json_to({"type": "event", "seq": 5, "event": "hidden"})
        await until("error", code="out_of_sequence")
        await examinee.send_json_to({"type": "event", "seq": 1, "event": "hidden"})
        await until("ack")
        await examinee.send_json_to({"type": "event", "seq": 2, "event": "visible", "duration_ms": 3000})
        await until("warning")
        await examinee.send_to(bytes_data=hopper_snapshot)
        await until("snapshot_ack")
        await until("face")
        await examinee.send_to(bytes_data=b"\xff\xd8\xff not really a JPEG")
        await until("error", code="bad_image")
        await database_sync_to_async(proctor_warn)(attempt=attempt, by=proctor, text="请正对摄像头")
        await until("warning", from_proctor=True)
        await database_sync_to_async(proctor_request_liveness)(attempt=attempt, by=proctor)
        await until("liveness_request")
        await database_sync_to_async(proctor_terminate)(attempt=attempt, by=proctor, reason="有人代考")
        first = await until("submitted")
        await until("submitted", **({"reason": "proctor"} if "text" in first else {"text": "有人代考"}))
        await examinee.disconnect()

    async_to_sync(run)()
    documented = _documented()
    kinds = {m["type"] for m in received}
    assert kinds == set(documented), kinds ^ set(documented)
    for message in received:
        assert set(message) <= documented[message["type"]], message
