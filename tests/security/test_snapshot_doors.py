"""Snapshot limits on the websocket door: the service's rules (rate, decodable images) hold for the socket.

The service (proctoring.services.snapshots.snapshot_receive) is where the rules live, so
every door obeys them; tests/proctoring/test_snapshot_limits.py checks them at
that level. Here the examinee socket: a flood is refused frame by frame with the
``error`` frame, the socket stays usable, and a client that keeps flooding is
closed with 4429.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.utils import timezone
from PIL import Image
from skimage import data as skimage_data

from proctoring.consumers import CLOSE_SNAPSHOT_FLOOD
from proctoring.models import AttemptMonitor, Snapshot
from proctoring.services.consent import consent_give
from tests.conftest import Cast
from tests.doors import session_cookie, socket_open
from tests.proctoring.conftest import _close_pool_connections, _private_storage, make_proctored  # noqa: F401
from tests.proctoring.test_consumers import OWN_ORIGIN, _attempt_path

db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    out = io.BytesIO()
    Image.fromarray(skimage_data.astronaut()).resize((320, 320)).save(out, format="JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
def noise() -> bytes:
    return np.random.default_rng(7).integers(0, 256, 200 * 1024, dtype=np.uint8).tobytes()


def _run(coroutine: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


async def _reply(communicator: Any) -> dict[str, Any]:
    """The reply to what was just sent (face results of earlier frames arrive whenever they are ready)."""
    while True:
        message = await communicator.receive_json_from(timeout=10)
        if message["type"] != "face":
            return message


@pytest.fixture
def inline_background(settings: Any) -> Iterator[None]:
    """Snapshot processing runs inline, in the thread that received the frame (Celery's eager mode).

    With worker threads, the processing writes while the socket's thread writes,
    and SQLite's shared in-memory test database refuses the second writer at
    once ("database table is locked"); without a worker (the Redis pass) the
    frames would never be processed. Inline, every frame is processed, in order.
    """
    from config.celery import app

    settings.BACKGROUND_BACKEND = "celery"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def _stored_files() -> list[Path]:
    root = Path(django_settings.PRIVATE_STORAGE_ROOT) / "proctoring" / "snapshots"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@db
def test_a_flood_is_refused_and_the_socket_stays_usable(
    cast: Cast, jpeg: bytes, noise: bytes, settings: Any, inline_background: None
) -> None:
    settings.PROCTORING_SNAPSHOT_BURST = 1
    data = make_proctored(cast, snapshot_min_seconds=20, snapshot_max_seconds=60)
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    attempt_id = data["attempt"].pk
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]

    async def run() -> list[dict[str, Any]]:
        examinee, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected
        assert (await examinee.receive_json_from())["type"] == "hello"
        replies = []
        for _ in range(8):  # a flood of valid frames
            await examinee.send_to(bytes_data=jpeg)
            replies.append(await _reply(examinee))
        await examinee.send_to(bytes_data=noise)  # random bytes
        replies.append(await _reply(examinee))
        # Time passes (the server's slot moves on): a valid frame is accepted on the same socket.
        await database_sync_to_async(
            lambda: AttemptMonitor.objects.filter(attempt_id=attempt_id).update(
                snapshot_tat=timezone.now() - dt.timedelta(seconds=1)
            )
        )()
        await examinee.send_to(bytes_data=jpeg)
        replies.append(await _reply(examinee))
        await examinee.send_json_to({"type": "ping"})
        replies.append(await _reply(examinee))
        await examinee.disconnect()
        return replies

    replies = _run(run())
    kinds = [r.get("code") or r["type"] for r in replies]
    assert kinds == ["snapshot_ack"] * 2 + ["snapshot_too_soon"] * 6 + ["bad_image", "snapshot_ack", "pong"]
    too_soon = replies[2]
    assert too_soon["type"] == "error"
    assert 0 < too_soon["retry_after"] <= 20
    assert "20" in too_soon["detail"]
    assert replies[8]["reason"] == "not_an_image"
    assert Snapshot.objects.filter(attempt_id=attempt_id).count() == 3
    assert len(_stored_files()) == 3
    assert noise not in [p.read_bytes() for p in _stored_files()]


@db
def test_a_client_that_keeps_flooding_is_closed(cast: Cast, noise: bytes, settings: Any) -> None:
    settings.PROCTORING_SNAPSHOT_MAX_REFUSALS = 5
    data = make_proctored(cast)
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]

    async def run() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        examinee, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected
        await examinee.receive_json_from()
        errors = []
        for _ in range(5):
            await examinee.send_to(bytes_data=noise)
            errors.append(await examinee.receive_json_from(timeout=10))
        closed = await examinee.receive_output(timeout=10)
        await examinee.wait()
        return errors, closed

    errors, closed = _run(run())
    assert [e["code"] for e in errors] == ["bad_image"] * 5
    assert closed == {"type": "websocket.close", "code": CLOSE_SNAPSHOT_FLOOD}
    assert not Snapshot.objects.exists()
    assert _stored_files() == []
