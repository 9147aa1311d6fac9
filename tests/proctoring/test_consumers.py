"""Proctoring websockets through config.asgi.application (auth, origin, scoping, bad frames, sequence)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from exams.models import Attempt
from exams.services.attempts import attempt_submit
from proctoring.models import BrowserEvent, ProctorMessage, Snapshot
from tests.conftest import Cast
from tests.doors import session_cookie, socket_answer, socket_open
from tests.proctoring.conftest import enrol_astronaut, make_proctored

OWN_ORIGIN = (b"origin", b"http://127.0.0.1:8000")
db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _attempt_path(data: dict[str, Any]) -> str:
    return f"/ws/proctoring/attempts/{data['attempt'].pk}/"


def _session_path(data: dict[str, Any]) -> str:
    return f"/ws/proctoring/sessions/{data['session'].pk}/"


async def _receive_until(communicator: WebsocketCommunicator, kind: str, timeout: float = 10) -> dict[str, Any]:
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


@db
def test_who_may_connect(cast: Cast) -> None:
    data = make_proctored(cast)
    examinee = _attempt_path(data)
    grid = _session_path(data)
    assert socket_answer(examinee, [OWN_ORIGIN]) == (False, 4401)
    assert socket_answer(grid, [OWN_ORIGIN]) == (False, 4401)
    # Another person's attempt, a proctor or a bureau official on the examinee socket: refused.
    for user in (cast.west.learner.user, cast.outsider, cast.east.proctor, cast.east.bureau):
        assert socket_answer(examinee, [OWN_ORIGIN, session_cookie(user)]) == (False, 4403), user
    # The grid: only proctors of the session's jurisdiction and platform admins.
    for user in (cast.west.proctor, cast.east.learner.user, cast.east.bureau, cast.east.training_admin, cast.outsider):
        assert socket_answer(grid, [OWN_ORIGIN, session_cookie(user)]) == (False, 4403), user
    # A foreign Origin is refused even with the right session cookie.
    connected, _code = socket_answer(
        examinee, [(b"origin", b"https://evil.example"), session_cookie(cast.east.learner.user)]
    )
    assert not connected
    connected, _code = socket_answer(grid, [(b"origin", b"https://evil.example"), session_cookie(cast.east.proctor)])
    assert not connected
    assert socket_answer(examinee, [OWN_ORIGIN, session_cookie(cast.east.learner.user)])[0]
    assert socket_answer(grid, [OWN_ORIGIN, session_cookie(cast.east.proctor)])[0]
    assert socket_answer(grid, [OWN_ORIGIN, session_cookie(cast.platform_admin)])[0]


@db
def test_bad_frames_get_an_error_and_the_socket_lives_on(cast: Cast) -> None:
    data = make_proctored(cast)
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]

    async def run() -> list[dict[str, Any]]:
        communicator, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected
        hello = await communicator.receive_json_from()
        assert hello == {"type": "hello", "last_seq": 0, "tab_switches": 0, "finished": False}
        replies = []
        for frame in [
            "not json {",
            "[1, 2]",
            '{"type": "teleport"}',
            '{"type": "event", "seq": 1, "event": "teleport"}',
            '{"type": "event", "seq": "1", "event": "blur"}',
            '{"type": "event", "seq": 7, "event": "blur"}',
            '{"type": "event", "seq": 1, "event": "blur", "pad": "'
            + "x" * django_settings.PROCTORING_EVENT_MAX_BYTES
            + '"}',
        ]:
            await communicator.send_to(text_data=frame)
            replies.append(await communicator.receive_json_from())
        await communicator.send_to(bytes_data=b"\xff" * (django_settings.PROCTORING_SNAPSHOT_MAX_BYTES + 1))
        replies.append(await communicator.receive_json_from())
        await communicator.send_json_to({"type": "ping"})
        replies.append(await communicator.receive_json_from())
        await communicator.disconnect()
        return replies

    replies = async_to_sync(run)()
    codes = [r.get("code") for r in replies]
    assert codes == [
        "malformed",
        "malformed",
        "unknown_type",
        "bad_event",
        "bad_event",
        "out_of_sequence",
        "too_large",
        "too_large",
        None,
    ]
    assert replies[5]["expected"] == 1  # the forged sequence number is answered with the one expected
    assert all(r["detail"] for r in replies[:-1])
    assert replies[-1] == {"type": "pong"}
    assert not BrowserEvent.objects.exists()
    assert not Snapshot.objects.exists()


@db
def test_events_are_acked_after_storing_and_resent_without_gaps(cast: Cast) -> None:
    data = make_proctored(cast)
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]

    def stored() -> list[tuple[int, str]]:
        return list(BrowserEvent.objects.filter(attempt=data["attempt"]).values_list("client_seq", "type"))

    async def run() -> None:
        first, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected
        await first.receive_json_from()
        for seq, event in [(1, "blur"), (2, "focus")]:
            await first.send_json_to({"type": "event", "seq": seq, "event": event, "duration_ms": 10})
            ack = await _receive_until(first, "ack")
            assert ack["seq"] == seq
            # Acknowledged means stored.
            assert (seq, event) in await database_sync_to_async(stored)()
        # Sent, but the connection drops before the ack is read.
        await first.send_json_to({"type": "event", "seq": 3, "event": "copy"})
        await _receive_until(first, "ack")
        await first.disconnect()

        second, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected
        hello = await second.receive_json_from()
        assert hello["last_seq"] == 3
        # The client resends what it had no ack for, then carries on.
        await second.send_json_to({"type": "event", "seq": 3, "event": "copy"})
        assert (await _receive_until(second, "ack"))["seq"] == 3
        await second.send_json_to({"type": "event", "seq": 4, "event": "paste"})
        assert (await _receive_until(second, "ack"))["seq"] == 4
        await second.disconnect()

    async_to_sync(run)()
    assert stored() == [(1, "blur"), (2, "focus"), (3, "copy"), (4, "paste")]


@db
def test_frames_for_a_finished_attempt_are_refused(cast: Cast, astronaut_snapshot: bytes) -> None:
    data = make_proctored(cast)
    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]

    async def run() -> list[dict[str, Any]]:
        communicator, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected
        hello = await communicator.receive_json_from()
        assert hello["finished"] is True
        await communicator.send_json_to({"type": "event", "seq": 1, "event": "blur"})
        first = await communicator.receive_json_from()
        await communicator.send_to(bytes_data=astronaut_snapshot)
        second = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "ping"})
        third = await communicator.receive_json_from()
        await communicator.disconnect()
        return [first, second, third]

    replies = async_to_sync(run)()
    assert [r.get("code") for r in replies[:2]] == ["attempt_finished", "attempt_finished"]
    assert replies[2]["type"] == "pong"


@db
def test_examinee_and_proctor_see_each_other_live(
    cast: Cast, astronaut_jpeg: bytes, hopper_snapshot: bytes, settings: Any
) -> None:
    # Face matching in this process's worker threads (scaled out it runs on Celery workers,
    # which this test does not start; tests/browser/test_proctoring.py does).
    settings.BACKGROUND_BACKEND = "threads"
    data = make_proctored(
        cast, tab_warn_at=1, tab_submit_at=2, tab_ignore_seconds=0, phone_aware=False, face_flag_after=1
    )
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    attempt_id = data["attempt"].pk
    proctor_headers = [OWN_ORIGIN, session_cookie(cast.east.proctor)]
    examinee_headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]

    async def run() -> None:
        grid, connected, _ = await socket_open(_session_path(data), proctor_headers)
        assert connected
        rows = await grid.receive_json_from()
        assert rows["type"] == "rows"
        assert [r["attempt"] for r in rows["rows"]] == [attempt_id]
        examinee, connected, _ = await socket_open(_attempt_path(data), examinee_headers)
        assert connected
        await examinee.receive_json_from()
        assert (await _receive_until(grid, "presence"))["online"] is True

        # A tab switch: the examinee is warned, the proctor sees the count.
        await examinee.send_json_to({"type": "event", "seq": 1, "event": "hidden"})
        await examinee.send_json_to({"type": "event", "seq": 2, "event": "visible", "duration_ms": 3000})
        warning = await _receive_until(examinee, "warning")
        assert "2" in warning["text"]
        update = (await _receive_until(grid, "events"))["rows"][0]
        while update["events"] < 2:  # counters arrive coalesced, at most every half second
            update = (await _receive_until(grid, "events"))["rows"][0]
        assert update["attempt"] == attempt_id
        assert update["tab_switches"] == 1

        # A snapshot of another face: processed off the event loop, both sides hear the outcome.
        await examinee.send_to(bytes_data=hopper_snapshot)
        assert (await _receive_until(examinee, "snapshot_ack"))["id"]
        face = await _receive_until(examinee, "face", timeout=30)
        assert face["outcome"] == "mismatch"
        seen = await _receive_until(grid, "face", timeout=30)
        assert seen["face"] == "mismatch"
        assert seen["thumbnail"].startswith("/proctoring/media/snapshots/")
        assert seen["flags"] >= 2  # tab switches + face

        # The proctor warns, then ends the exam with a reason.
        await grid.send_json_to({"type": "warn", "attempt": attempt_id, "text": "请正对摄像头"})
        assert (await _receive_until(examinee, "warning"))["text"] == "请正对摄像头"
        await grid.send_json_to({"type": "warn", "attempt": attempt_id + 999, "text": "x"})
        assert (await _receive_until(grid, "error"))["code"] == "bad_event"
        # The proctor asks for a liveness check: the examinee's page hears it, and it is on record.
        await grid.send_json_to({"type": "liveness", "attempt": attempt_id})
        assert (await _receive_until(examinee, "liveness_request"))["text"]
        done = await _receive_until(grid, "done")
        while done["action"] != "liveness":
            done = await _receive_until(grid, "done")
        assert done["attempt"] == attempt_id
        await grid.send_json_to({"type": "terminate", "attempt": attempt_id, "reason": "有人代考"})
        submitted = await _receive_until(examinee, "submitted")
        while "text" not in submitted:  # exams' own "submitted" event may come first
            submitted = await _receive_until(examinee, "submitted")
        assert submitted["text"] == "有人代考"
        assert (await _receive_until(grid, "status"))["status"] == "submitted"
        await examinee.disconnect()
        await grid.disconnect()
        await asyncio.sleep(0)

    async_to_sync(run)()
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert Snapshot.objects.get(attempt=attempt).outcome == "mismatch"
    assert ProctorMessage.objects.filter(attempt=attempt, kind=ProctorMessage.Kind.LIVENESS).count() == 1
