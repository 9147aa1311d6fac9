"""Channel-layer groups and sends for proctoring.

Services call ``to_examinee``, ``to_proctors`` and ``to_identity_waiter``, which send through
``core.broadcast`` after the transaction commits, so that a message never announces a row
that was rolled back; the consumers forward what arrives to their sockets.
The channel layer delivers at most once: whatever a client must not miss is
in the database first and re-read on (re)connect.
"""

from __future__ import annotations

from typing import Any

from core.broadcast import send_to_group_after_commit


def attempt_group(attempt_id: int) -> str:
    return f"proctor-attempt-{attempt_id}"


def session_group(session_id: int) -> str:
    return f"proctor-session-{session_id}"


def identity_group(session_id: int, person_id: int) -> str:
    """The examinee's identity-check page (before any attempt exists): waits here for a proctor's decision."""
    return f"proctor-identity-{session_id}-{person_id}"


def to_examinee(attempt_id: int, payload: dict[str, Any]) -> None:
    send_to_group_after_commit(attempt_group(attempt_id), {"type": "proctoring.message", "payload": payload})


def to_proctors(session_id: int, payload: dict[str, Any]) -> None:
    send_to_group_after_commit(session_group(session_id), {"type": "proctoring.message", "payload": payload})


def to_identity_waiter(session_id: int, person_id: int, payload: dict[str, Any]) -> None:
    send_to_group_after_commit(
        identity_group(session_id, person_id), {"type": "proctoring.message", "payload": payload}
    )
