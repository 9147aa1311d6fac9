"""The websocket plumbing as a browser meets it, against config.asgi.application."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from tests.conftest import Cast, login_client
from tests.doors import session_cookie, socket_answer, socket_open

ROOT = Path(__file__).resolve().parents[2]
OWN_ORIGIN = (b"origin", b"http://127.0.0.1:8000")


async def _echo(headers: list[tuple[bytes, bytes]], frames: list[Any]) -> list[Any]:
    communicator, connected, code = await socket_open("/ws/ping/", headers)
    assert connected, f"refused with {code}"
    replies = []
    for frame in frames:
        if isinstance(frame, str):
            await communicator.send_to(text_data=frame)
        else:
            await communicator.send_json_to(frame)
        replies.append(await communicator.receive_json_from(timeout=5))
    await communicator.disconnect()
    return replies


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_logged_in_user_gets_an_echo(cast: Cast) -> None:
    headers = [OWN_ORIGIN, session_cookie(cast.east.bureau)]
    [reply] = async_to_sync(_echo)(headers, [{"hello": "世界"}])
    assert reply == {"type": "pong", "echo": {"hello": "世界"}, "user": "east_bureau"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_non_json_frames_get_an_error_and_the_socket_lives_on(cast: Cast) -> None:
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]
    replies = async_to_sync(_echo)(headers, ["not json {", "[1, 2]", "x" * 5000, {"still": "alive"}])
    assert [r["type"] for r in replies] == ["error", "error", "error", "pong"]
    assert all(r["detail"] for r in replies[:3])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_anonymous_is_refused(cast: Cast) -> None:
    connected, code = socket_answer("/ws/ping/", [OWN_ORIGIN])
    assert not connected
    assert code == 4401


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_logged_out_session_is_refused(cast: Cast) -> None:
    client = login_client(cast.east.bureau)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.logout()

    connected, _code = socket_answer("/ws/ping/", [OWN_ORIGIN, (b"cookie", f"sessionid={cookie}".encode())])
    assert not connected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("origin", [b"https://evil.example", b"http://127.0.0.1.evil.example"])
def test_foreign_origin_is_refused_even_when_logged_in(cast: Cast, origin: bytes) -> None:
    cookie = session_cookie(cast.east.bureau)

    connected, _code = socket_answer("/ws/ping/", [(b"origin", origin), cookie])
    assert not connected


def test_two_server_processes_share_messages_through_the_channel_layer() -> None:
    if not settings.REDIS_URL:
        pytest.skip("the in-memory channel layer is per process by design; this needs REDIS_URL")
    group = f"test-{uuid.uuid4().hex}"
    layer = get_channel_layer()

    async def listen_then_receive() -> dict[str, Any]:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            # Another process, configured the same way, sends to the group.
            code = (
                "import django, sys; django.setup();"
                "from asgiref.sync import async_to_sync; from channels.layers import get_channel_layer;"
                f"async_to_sync(get_channel_layer().group_send)({group!r}, {{'type': 'hello', 'pid': __import__('os').getpid()}})"
            )
            subprocess.run(
                [sys.executable, "-c", code],
                cwd=ROOT,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
                check=True,
                timeout=60,
            )
            return await layer.receive(channel)
        finally:
            await layer.group_discard(group, channel)

    # A fresh thread with its own event loop: async_to_sync refuses to run in
    # a thread where an earlier test left a loop running.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        message = pool.submit(asyncio.run, listen_then_receive()).result(timeout=120)
    assert message["type"] == "hello"
    assert message["pid"] != os.getpid()
