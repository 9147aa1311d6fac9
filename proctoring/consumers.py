"""Proctoring websockets (thin: authenticate, scope, call one service, send).

``ws/proctoring/attempts/<attempt_id>/`` — the examinee's own attempt.
  Client → server: JSON ``{"type": "event", "seq": n, "event": "hidden", ...}``
  (acknowledged with ``{"type": "ack", "seq": n}`` only after it is stored),
  ``{"type": "ping"}``, and binary frames (one JPEG snapshot each).
  Server → client: ``hello`` (``last_seq``: what the server holds, so the
  client resends the rest), ``ack``, ``snapshot_ack``, ``warning``, ``face``,
  ``submitted`` (``reason`` from exams' event; the policy's or a proctor's
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
  ``status`` and ``identity_pending`` updates.
  Client → server: ``{"type": "warn", "attempt": id, "text": ...}``,
  ``{"type": "terminate", "attempt": id, "reason": ...}``.

Close codes: 4401 not signed in, 4403 not yours / not found — both sent before
``accept``, so a real server (daphne, uvicorn) answers the handshake with HTTP 403
and a client never sees them; 4429 snapshot flood, after accept (too many refused
snapshots in a row; the client may reconnect and send at the policy's rate).
"""

from __future__ import annotations

import asyncio
import functools
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

from exams import events as exam_events
from proctoring import batching, broadcast, selectors
from proctoring.services.actions import proctor_terminate, proctor_warn
from proctoring.services.errors import BadEvent, ProctoringError
from proctoring.services.events import EventIn, events_record, mark_online, monitor_open
from proctoring.services.snapshots import snapshot_receive

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SNAPSHOT_FLOOD = 4429


_pool_connections: set[Any] = set()

# Live-grid counters are coalesced per session and sent at most every LIVE_FLUSH_SECONDS:
# a class of 1,000 examinees makes ~200 events a second, the grid needs a few updates.
LIVE_FLUSH_SECONDS = 0.5
_live: dict[int, dict[int, dict[str, Any]]] = {}
_flusher: asyncio.Task[None] | None = None


def queue_live(layer: Any, session_id: int, payload: dict[str, Any]) -> None:
    global _flusher
    _live.setdefault(session_id, {})[payload["attempt"]] = payload
    loop = asyncio.get_running_loop()
    if _flusher is None or _flusher.done() or _flusher.get_loop() is not loop:
        _flusher = loop.create_task(_flush_live(layer))


async def _flush_live(layer: Any) -> None:
    global _flusher
    while True:
        await asyncio.sleep(LIVE_FLUSH_SECONDS)
        if not _live:
            break
        batch = dict(_live)
        _live.clear()
        for session_id, rows in batch.items():
            await layer.group_send(
                broadcast.session_group(session_id),
                {"type": "proctoring.message", "payload": {"type": "events", "rows": list(rows.values())}},
            )
    _flusher = None


def in_pool(func: Any, executor: ThreadPoolExecutor | None = None) -> Any:
    """Run ``func`` on a worker pool (``executor``, or the loop's default), not the single
    thread-sensitive ORM thread.

    Events and snapshots of different examinees then store in parallel (each
    pool thread keeps its own connection); one socket's messages stay in order
    because a consumer handles one message at a time.
    """

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        finally:
            _pool_connections.add(connections["default"])

    return DatabaseSyncToAsync(run, thread_sensitive=False, executor=executor)


# Events have a thread of their own: during a class's connect storm the shared pool is
# busy with connects and snapshots, and an event batch queued behind them would wait
# hundreds of milliseconds for its ack (bench/bench_ws.py --timeline showed it).
_event_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proctor-events")
_events_record = in_pool(events_record, executor=_event_thread)


async def _store_events(items: list[EventIn]) -> list[Any]:
    return await _events_record(items=items)


# One per server process: every examinee socket of the process stores its events through it.
_event_batcher = batching.EventBatcher(_store_events)


def close_pool_connections() -> None:
    """Close the pool threads' idle database connections (tests, before the test database is dropped)."""
    for connection in list(_pool_connections):
        connection.inc_thread_sharing()
        try:
            connection.close()
        finally:
            connection.dec_thread_sharing()
    _pool_connections.clear()


class _JsonSocket(AsyncWebsocketConsumer):
    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, default=str))

    async def error(self, code: str, detail: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})

    async def parse(self, text_data: str) -> dict[str, Any] | None:
        if len(text_data.encode()) > settings.PROCTORING_EVENT_MAX_BYTES:
            await self.error(
                "too_large",
                _("Message larger than %(max)d bytes.") % {"max": settings.PROCTORING_EVENT_MAX_BYTES},
            )
            return None
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("malformed", _("Message is not valid JSON."))
            return None
        if not isinstance(content, dict):
            await self.error("malformed", _("Message is not a JSON object."))
            return None
        return content

    async def proctoring_message(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])


class ExamineeConsumer(_JsonSocket):
    async def connect(self) -> None:
        broadcast.remember_loop()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # One pool hop for everything a connect reads and writes: a class of examinees
        # (re)connecting at once must not queue behind each other on one thread.
        opened = await in_pool(self._open)(user, int(self.scope["url_route"]["kwargs"]["attempt_id"]))
        if opened is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.attempt, self.policy, hello = opened
        self.groups_joined = [broadcast.attempt_group(self.attempt.pk), exam_events.group_name(self.attempt.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
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
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "attempt", None) is not None:
            await in_pool(mark_online)(attempt_id=self.attempt.pk, online=False)
            await self.channel_layer.group_send(
                broadcast.session_group(self.attempt.session_id),
                {
                    "type": "proctoring.message",
                    "payload": {"type": "presence", "attempt": self.attempt.pk, "online": False},
                },
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self.snapshot(bytes_data)
            return
        content = await self.parse(text_data or "")
        if content is None:
            return
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
            result = await _event_batcher.record(item)
        except ProctoringError as exc:
            await self.error(exc.code, exc.message, seq=content.get("seq"), **exc.details)
            return
        # Stored (and committed) before anyone hears of it.
        await self.send_json({"type": "ack", "seq": result.client_seq, "tab_switches": result.tab_switches})
        for notice in result.notices:
            await self.send_json(notice)
        if result.live:
            queue_live(self.channel_layer, self.attempt.session_id, result.live)

    async def snapshot(self, data: bytes) -> None:
        if len(data) > settings.PROCTORING_SNAPSHOT_MAX_BYTES:
            await self.refuse_snapshot(
                "too_large",
                _("Snapshot larger than %(max)d KB.") % {"max": settings.PROCTORING_SNAPSHOT_MAX_BYTES // 1024},
            )
            return
        try:
            snapshot = await in_pool(snapshot_receive)(attempt_id=self.attempt.pk, data=data)
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


class ProctorConsumer(_JsonSocket):
    async def connect(self) -> None:
        broadcast.remember_loop()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.session = await database_sync_to_async(
            lambda: selectors.sessions_proctored_by(user).filter(pk=session_id).first()
        )()
        if self.session is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = broadcast.session_group(self.session.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(self._rows)())

    def _rows(self) -> dict[str, Any]:
        return {
            "type": "rows",
            "rows": selectors.dashboard_rows(self.session),
            "identity_pending": [
                {"check": c.pk, "name": c.person.name} for c in selectors.pending_identity_checks(self.session)
            ],
        }

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self.error("malformed", _("Binary messages are not accepted here."))
            return
        content = await self.parse(text_data or "")
        if content is None:
            return
        kind = content.get("type")
        if kind == "resync":
            await self.send_json(await database_sync_to_async(self._rows)())
            return
        if kind not in ("warn", "terminate"):
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
        proctor_terminate(attempt=attempt, by=user, reason=str(content.get("reason", ""))[:500])
        return {"type": "done", "action": "terminate", "attempt": attempt.pk}
