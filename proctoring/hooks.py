"""Listeners on exams' attempt events (exams.events)."""

from __future__ import annotations

from typing import Any

from proctoring import broadcast


def exam_event(name: str, attempt_id: int, data: dict[str, Any]) -> None:
    if name not in ("started", "submitted", "invalidated", "reinstated"):
        return
    session_id = data.get("session_id")
    if session_id is None:
        from exams.models import Attempt

        session_id = Attempt.objects.filter(pk=attempt_id).values_list("session_id", flat=True).first()
    if session_id is None:
        return
    from proctoring.models import ProctoringPolicy

    if not ProctoringPolicy.objects.filter(session_id=session_id).exists():
        return
    status = {
        "started": "in_progress",
        "submitted": "submitted",
        "invalidated": "invalidated",
        "reinstated": "submitted",  # a review decision reversed
    }[name]
    broadcast.send_now(
        broadcast.session_group(session_id),
        {"type": "proctoring.message", "payload": {"type": "status", "attempt": attempt_id, "status": status}},
    )
