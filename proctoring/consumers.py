"""Proctoring websockets (thin: authenticate, scope, call one service, send).

``ws/proctoring/attempts/<attempt_id>/`` — the examinee's own attempt.
  Client → server: JSON ``{"type": "event", "seq": n, "event": "hidden", ...}``
  (acknowledged with ``{"type": "ack", "seq": n}`` only after it is stored),
  ``{"type": "ping"}``, and binary frames (one JPEG snapshot each).
  Server → client: ``hello`` (``last_seq``: what the server holds, so the
  client resends the rest), ``ack``, ``snapshot_ack``, ``warning``, ``face``,
  ``liveness_request`` (a proctor asks for an on-demand liveness check), ``submitted`` (``reason`` from exams' event; the policy's or a proctor's
  ``text`` in a second frame), ``error`` (the socket stays open). The API
  documents every field (proctoring.api.SERVER_MESSAGES; tests/proctoring/test_socket_docs.py).
  A refused snapshot gets an ``error`` frame with the service's code
  (``snapshot_too_soon`` with ``retry_after``, ``snapshot_storage_full``,
  ``bad_image`` with ``reason``, ``too_large``, ``consent_required``, ``attempt_finished``) and the
  socket stays usable; after PROCTORING_SNAPSHOT_MAX_REFUSALS refusals in a row
  (an accepted frame resets the count) the socket is closed with 4429.
``ws/proctoring/sessions/<session_id>/`` — a proctor's live grid.
  Server → client: ``rows`` on connect (resync from the database), then
  ``events`` (counters, coalesced every LIVE_FLUSH_SECONDS), ``face``, ``presence``,
  ``status``, ``identity_pending``, ``identity_decided`` (a manual ID check decided, by any proctor) and ``liveness`` (a check of a running attempt decided) updates.
  Client → server: ``{"type": "warn", "attempt": id, "text": ...}``,
  ``{"type": "terminate", "attempt": id, "reason": ...}``,
  ``{"type": "liveness", "attempt": id}`` (ask for an on-demand liveness check).

``ws/proctoring/sessions/<session_id>/identity/`` — the examinee's identity-check page (no attempt yet).
  Server → client: ``identity`` (``state``: passed, pending_manual, rejected, needs_check…; ``reason``:
  the proctor's refusal reason; ``next``: the exam notice) on connect and when a proctor decides.
  Client → server: ``{"type": "ping"}``.

Every text frame passes core.sockets.JsonSocket's door first (at most
PROCTORING_EVENT_MAX_BYTES, a JSON object; else an ``error`` frame ``too_large`` or
``malformed``). Events are stored through proctoring.live (batched per process),
whose flusher also coalesces the live grid's counters.

Close codes: 4401 not signed in, 4403 not yours / not found — both sent before
``accept``, so a real server (daphne, uvicorn) answers the handshake with HTTP 403
and a client never sees them (core.sockets); 4429 snapshot flood, after accept
(too many refused snapshots in a row; the client may reconnect and send at the
policy's rate).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from core.pools import sync_to_worker_pool
from core.sockets import CLOSE_FORBIDDEN, JsonSocket
from exams import events as exam_events
from proctoring import broadcast, live, selectors
from proctoring.services.actions import proctor_request_liveness, proctor_terminate, proctor_warn
from proctoring.services.errors import BadEvent, ProctoringError
from proctoring.services.events import EventIn, mark_online, monitor_open
from proctoring.services.snapshots import snapshot_receive

CLOSE_SNAPSHOT_FLOOD = 4429


class _ProctoringSocket(JsonSocket):
    def max_frame_bytes(self) -> int:
        return settings.PROCTORING_EVENT_MAX_BYTES

    async def proctoring_message(self, message: dict[str, Any]) -> None:
        """A services' broadcast (proctoring.broadcast), relayed as it is."""
        await self.send_json(message["payload"])

    async def open_scoped(self, load: Callable[[Any, int], Awaitable[Any]], kwarg: str) -> Any | None:
        """``await load(user, id from the URL)`` for a signed-in user; None after closing (4401 not signed in,
        4403 when ``load`` finds nothing for this user). Call from ``connect``, before ``accept``."""
        user = await self.signed_in_user()
        if user is None:
            return None
        opened = await load(user, int(self.scope["url_route"]["kwargs"][kwarg]))
        if opened is None:
            await self.close(code=CLOSE_FORBIDDEN)
        return opened

    async def join(self, *groups: str) -> None:
        self.groups_joined = list(groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)


class ExamineeConsumer(_ProctoringSocket):
    async def connect(self) -> None:
        # One pool hop for everything a connect reads and writes: a class of examinees
        # (re)connecting at once must not queue behind each other on one thread.
        opened = await self.open_scoped(sync_to_worker_pool(self._open), "attempt_id")
        if opened is None:
            return
        self.attempt, self.policy, hello = opened
        await self.join(broadcast.attempt_group(self.attempt.pk), exam_events.group_name(self.attempt.pk))
        await self.accept()
        await self.send_json(hello)
        if not hello["finished"]:
            await self.channel_layer.group_send(
                broadcast.session_group(self.attempt.session_id),
                {
                    "type": "proctoring.message",
                    "payload": {"type": "presence", "attempt": self.attempt.pk, "online": True},
                },
            )

    @staticmethod
    def _open(user: Any, attempt_id: int) -> tuple[Any, Any, dict[str, Any]] | None:
        attempt = selectors.attempt_of_examinee(user, attempt_id)
        if attempt is None:
            return None
        # Loaded once per connection: a policy edited mid-exam applies from the next (re)connect.
        policy = selectors.joined_policy(attempt)
        last_seq, tab_switches = monitor_open(attempt_id=attempt.pk, online=not attempt.is_finished)
        hello = {"type": "hello", "last_seq": last_seq, "tab_switches": tab_switches, "finished": attempt.is_finished}
        return attempt, policy, hello

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if getattr(self, "attempt", None) is not None:
            await sync_to_worker_pool(mark_online)(attempt_id=self.attempt.pk, online=False)
            await self.channel_layer.group_send(
                broadcast.session_group(self.attempt.session_id),
                {
                    "type": "proctoring.message",
                    "payload": {"type": "presence", "attempt": self.attempt.pk, "online": False},
                },
            )

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "event":
            await self.event(content)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error("unknown_type", _("Unknown message type: %(type)s.") % {"type": str(kind)[:32]})

    async def event(self, content: dict[str, Any]) -> None:
        item = EventIn(
            attempt_id=self.attempt.pk,
            session_id=self.attempt.session_id,
            client_seq=content.get("seq"),
            event_type=content.get("event"),
            duration_ms=content.get("duration_ms"),
            hidden_during=bool(content.get("hidden_during")),
            client_at=content.get("at"),
            policy=self.policy,
        )
        try:
            result = await live.record_event(item)
        except ProctoringError as exc:
            await self.error(exc.code, exc.message, seq=content.get("seq"), **exc.details)
            return
        # Stored (and committed) before anyone hears of it.
        await self.send_json({"type": "ack", "seq": result.client_seq, "tab_switches": result.tab_switches})
        for notice in result.notices:
            await self.send_json(notice)
        if result.live:
            live.queue_live(self.channel_layer, self.attempt.session_id, result.live)

    async def receive_bytes(self, data: bytes) -> None:
        """One JPEG snapshot."""
        if len(data) > settings.PROCTORING_SNAPSHOT_MAX_BYTES:
            await self.refuse_snapshot(
                "too_large",
                _("Snapshot larger than %(max)d KB.") % {"max": settings.PROCTORING_SNAPSHOT_MAX_BYTES // 1024},
            )
            return
        try:
            snapshot = await sync_to_worker_pool(snapshot_receive)(attempt_id=self.attempt.pk, data=data)
        except ProctoringError as exc:
            await self.refuse_snapshot(exc.code, exc.message, **exc.details)
            return
        self.snapshot_refusals = 0
        await self.send_json({"type": "snapshot_ack", "id": snapshot.pk})

    async def refuse_snapshot(self, code: str, detail: str, **extra: Any) -> None:
        self.snapshot_refusals = getattr(self, "snapshot_refusals", 0) + 1
        await self.error(code, detail, **extra)
        if self.snapshot_refusals >= settings.PROCTORING_SNAPSHOT_MAX_REFUSALS:
            await self.close(code=CLOSE_SNAPSHOT_FLOOD)

    async def exam_event(self, message: dict[str, Any]) -> None:
        if message.get("event") in ("submitted", "invalidated"):
            await self.send_json({"type": "submitted", "reason": message.get("reason", "")})


class ProctorConsumer(_ProctoringSocket):
    async def connect(self) -> None:
        self.session = await self.open_scoped(database_sync_to_async(self._open), "session_id")
        if self.session is None:
            return
        await self.join(broadcast.session_group(self.session.pk))
        await self.accept()
        await self.send_json(await database_sync_to_async(self._rows)())

    @staticmethod
    def _open(user: Any, session_id: int) -> Any:
        return selectors.sessions_proctored_by(user).filter(pk=session_id).first()

    def _rows(self) -> dict[str, Any]:
        return {
            "type": "rows",
            "rows": selectors.dashboard_rows(self.session),
            "identity_pending": [
                {"check": c.pk, "name": c.person.name} for c in selectors.pending_identity_checks(self.session)
            ],
        }

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "resync":
            await self.send_json(await database_sync_to_async(self._rows)())
            return
        if kind not in ("warn", "terminate", "liveness"):
            await self.error("unknown_type", _("Unknown message type: %(type)s.") % {"type": str(kind)[:32]})
            return
        try:
            reply = await database_sync_to_async(self._act)(kind, content)
        except ProctoringError as exc:
            await self.error(exc.code, exc.message)
            return
        await self.send_json(reply)

    def _act(self, kind: str, content: dict[str, Any]) -> dict[str, Any]:
        attempt_id = content.get("attempt")
        attempt = (
            selectors.attempts_proctored_by(self.scope["user"])
            .filter(pk=attempt_id if isinstance(attempt_id, int) else -1, session=self.session)
            .first()
        )
        if attempt is None:
            raise BadEvent(_("No such examinee in this session."))
        user = self.scope["user"]
        if kind == "warn":
            proctor_warn(attempt=attempt, by=user, text=str(content.get("text", ""))[:500])
            return {"type": "done", "action": "warn", "attempt": attempt.pk}
        if kind == "liveness":
            proctor_request_liveness(attempt=attempt, by=user)
            return {"type": "done", "action": "liveness", "attempt": attempt.pk}
        proctor_terminate(attempt=attempt, by=user, reason=str(content.get("reason", ""))[:500])
        return {"type": "done", "action": "terminate", "attempt": attempt.pk}


class IdentityWaitConsumer(_ProctoringSocket):
    """The examinee's identity-check page hears a proctor's decision (proctoring.services.identity.identity_decide)."""

    async def connect(self) -> None:
        opened = await self.open_scoped(database_sync_to_async(selectors.identity_waiting_for), "session_id")
        if opened is None:
            return
        self.session, self.person = opened
        await self.join(broadcast.identity_group(self.session.pk, self.person.pk))
        await self.accept()
        # Read after joining the group: a decision made in between is not missed.
        await self.send_json(await database_sync_to_async(self._state)())

    def _state(self) -> dict[str, Any]:
        return selectors.identity_state_message(self.session, selectors.identity_status(self.session, self.person))

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error(
                "unknown_type", _("Unknown message type: %(type)s.") % {"type": str(content.get("type"))[:32]}
            )
