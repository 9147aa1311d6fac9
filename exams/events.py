"""Attempt events for other apps (proctoring) and websocket clients.

An event is ``(name, attempt_id, data)``; ``data`` never holds an answer key.
Events are dispatched after the transaction commits, so a listener never sees
an attempt state that was rolled back.

* In-process listeners: ``register(listener)`` where ``listener(name, attempt_id, data)``;
  a listener that raises is logged and skipped.
* Websocket consumers: the events that end an attempt (``submitted``,
  ``invalidated``) are also sent to the channel-layer group
  ``group_name(attempt_id)`` as ``{"type": "exam.event", "event": name, ...data}``.
  ``started`` and ``answer_saved`` go to listeners only: they are the hot paths
  (a class starts in the same second) and no socket waits for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from core.broadcast import send_to_group
from core.registries import Registry

logger = logging.getLogger(__name__)

Listener = Callable[[str, int, dict[str, Any]], None]
_listeners: Registry[Listener] = Registry()
BROADCAST = {"submitted", "invalidated"}


def group_name(attempt_id: int) -> str:
    return f"exam-attempt-{attempt_id}"


register = _listeners.register
unregister = _listeners.unregister


def emit(name: str, attempt_id: int, data: dict[str, Any] | None = None) -> None:
    payload = dict(data or {})
    transaction.on_commit(lambda: _dispatch(name, attempt_id, payload))


def _dispatch(name: str, attempt_id: int, data: dict[str, Any]) -> None:
    for listener in _listeners:
        try:
            listener(name, attempt_id, data)
        except Exception:
            logger.exception("Exam event listener failed for %s", name)
    if name in BROADCAST:
        _broadcast(name, attempt_id, data)


def _broadcast(name: str, attempt_id: int, data: dict[str, Any]) -> None:
    send_to_group(group_name(attempt_id), {"type": "exam.event", "event": name, **data})
