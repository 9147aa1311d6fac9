"""Attempt events for other apps (proctoring) and websocket clients.

An event is ``(name, attempt_id, data)``; ``data`` never holds an answer key.
Events are dispatched after the transaction commits, so a listener never sees
an attempt state that was rolled back.

* In-process listeners: ``register(hook)`` where ``hook(name, attempt_id, data)``;
  a hook that raises is logged and skipped.
* Websocket consumers: the events that end an attempt (``submitted``,
  ``invalidated``) are also sent to the channel-layer group
  ``group_name(attempt_id)`` as ``{"type": "exam.event", "event": name, ...data}``.
  ``started`` and ``answer_saved`` go to hooks only: they are the hot paths
  (a class starts in the same second) and no socket waits for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Hook = Callable[[str, int, dict[str, Any]], None]
_hooks: list[Hook] = []
BROADCAST = {"submitted", "invalidated"}


def group_name(attempt_id: int) -> str:
    return f"exam-attempt-{attempt_id}"


def register(hook: Hook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def unregister(hook: Hook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def emit(name: str, attempt_id: int, data: dict[str, Any] | None = None) -> None:
    payload = dict(data or {})
    transaction.on_commit(lambda: _dispatch(name, attempt_id, payload))


def _dispatch(name: str, attempt_id: int, data: dict[str, Any]) -> None:
    for hook in list(_hooks):
        try:
            hook(name, attempt_id, data)
        except Exception:
            logger.exception("Exam event hook failed for %s", name)
    if name in BROADCAST:
        _broadcast(name, attempt_id, data)


def _broadcast(name: str, attempt_id: int, data: dict[str, Any]) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(attempt_id), {"type": "exam.event", "event": name, **data})
    except RuntimeError:
        # Called from inside an event loop (an async consumer): hooks already ran.
        logger.warning("Exam event %s not broadcast: called from async context", name)
    except Exception:
        logger.exception("Exam event broadcast failed for %s", name)
