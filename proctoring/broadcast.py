"""Channel-layer groups and sends for proctoring.

Services call ``send_after_commit`` so that a message never announces a row
that was rolled back; the consumers forward what arrives to their sockets.
The channel layer delivers at most once: whatever a client must not miss is
in the database first and re-read on (re)connect.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def attempt_group(attempt_id: int) -> str:
    return f"proctor-attempt-{attempt_id}"


def session_group(session_id: int) -> str:
    return f"proctor-session-{session_id}"


_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread: int | None = None


def remember_loop() -> None:
    """Called by the consumers: the server's event loop, for sends from plain worker threads.

    The in-memory channel layer's queues belong to the server's loop; a
    background thread (core.background's pool) that ran ``async_to_sync``
    would put messages on a loop of its own that nobody waits on.
    """
    global _server_loop, _server_thread
    _server_loop = asyncio.get_running_loop()
    _server_thread = threading.get_ident()


def _log_failure(future: Any) -> None:
    if future.exception() is not None:
        logger.error("proctoring broadcast failed: %s", future.exception())


def send_now(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    try:
        if (
            loop is not None
            and loop.is_running()
            and threading.get_ident() != _server_thread
            and not _in_sync_to_async_thread()
        ):
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).add_done_callback(_log_failure)
            return
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("proctoring broadcast to %s failed", group)


def _in_sync_to_async_thread() -> bool:
    # Inside database_sync_to_async async_to_sync hops back to the calling loop by itself.
    from asgiref.sync import SyncToAsync

    return getattr(SyncToAsync.threadlocal, "main_event_loop", None) is not None


def send_after_commit(group: str, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_now(group, message))


def to_examinee(attempt_id: int, payload: dict[str, Any]) -> None:
    send_after_commit(attempt_group(attempt_id), {"type": "proctoring.message", "payload": payload})


def to_proctors(session_id: int, payload: dict[str, Any]) -> None:
    send_after_commit(session_group(session_id), {"type": "proctoring.message", "payload": payload})
