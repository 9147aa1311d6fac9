"""Credit checks on the heartbeat: how another app (proctoring) takes part
in crediting study time without training importing it.

A check is an object with either or both of these methods::

    def before_credit(self, ctx: HeartbeatContext) -> str | None:
        '''Return a reason to withhold credit for this heartbeat, or None.'''

    def after_heartbeat(self, ctx: HeartbeatContext) -> dict | None:
        '''Return extra fields merged into the heartbeat response, e.g.
        {"face_check": {"url": ...}} to ask the player for a random face check.'''

Register it once at start-up, from the other app's ``AppConfig.ready``::

    from training import heartbeat_checks
    heartbeat_checks.register(MyFaceCheck())

Checks run inside the heartbeat request, so they must be cheap (a cache
lookup, a random draw); heavy work goes to a background task. A check that
raises is logged and skipped: a broken add-on must not stop the crediting of
honest study time, nor grant any.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.registries import Registry

logger = logging.getLogger(__name__)


@dataclass
class HeartbeatContext:
    user_id: int
    lesson_id: int
    lesson_kind: str
    position: int
    visible: bool
    now: dt.datetime
    credit_seconds: int  # what training would credit before the checks are asked
    extra: dict[str, Any] = field(default_factory=dict)  # fields the client sent for the checks


class HeartbeatCheck(Protocol):  # pragma: no cover - documentation of the shape
    def before_credit(self, ctx: HeartbeatContext) -> str | None: ...

    def after_heartbeat(self, ctx: HeartbeatContext) -> dict[str, Any] | None: ...


_checks: Registry[Any] = Registry()
register = _checks.register
unregister = _checks.unregister


def veto_reason(ctx: HeartbeatContext) -> str | None:
    for check in _checks:
        method = getattr(check, "before_credit", None)
        if method is None:
            continue
        try:
            reason = method(ctx)
        except Exception:
            logger.exception("training heartbeat check %r failed in before_credit", check)
            continue
        if reason:
            return str(reason)
    return None


def response_extras(ctx: HeartbeatContext) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for check in _checks:
        method = getattr(check, "after_heartbeat", None)
        if method is None:
            continue
        try:
            extras.update(method(ctx) or {})
        except Exception:
            logger.exception("training heartbeat check %r failed in after_heartbeat", check)
    return extras
