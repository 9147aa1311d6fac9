"""Proctoring's listeners on exams' attempt events (``exams.events``), registered in ``ProctoringConfig.ready``."""

from __future__ import annotations

import time
from typing import Any

from core.broadcast import send_to_group
from proctoring import broadcast

_POLICY_TTL = 30.0
_policy_seen: dict[int, tuple[bool, float]] = {}


def _proctored(session_id: int, *, fresh: bool) -> bool:
    """Whether the session has a proctoring policy.

    A class starting together asks 2,000 times in a few seconds; the answer for
    ``started`` (a live-grid status line) may be up to ``_POLICY_TTL`` old.
    """
    now = time.monotonic()
    seen = _policy_seen.get(session_id)
    if not fresh and seen is not None and now - seen[1] < _POLICY_TTL:
        return seen[0]
    from proctoring.models import ProctoringPolicy

    exists = ProctoringPolicy.objects.filter(session_id=session_id).exists()
    _policy_seen[session_id] = (exists, now)
    return exists


def live_grid_status(name: str, attempt_id: int, data: dict[str, Any]) -> None:
    """An attempt that starts, ends or is reinstated shows its new status on its session's live grid."""
    if name not in ("started", "submitted", "invalidated", "reinstated"):
        return
    session_id = data.get("session_id")
    if session_id is None:
        from exams.models import Attempt

        session_id = Attempt.objects.filter(pk=attempt_id).values_list("session_id", flat=True).first()
    if session_id is None:
        return
    if not _proctored(session_id, fresh=name != "started"):
        return
    status = {
        "started": "in_progress",
        "submitted": "submitted",
        "invalidated": "invalidated",
        "reinstated": "submitted",  # a review decision reversed
    }[name]
    send_to_group(
        broadcast.session_group(session_id),
        {"type": "proctoring.message", "payload": {"type": "status", "attempt": attempt_id, "status": status}},
    )
