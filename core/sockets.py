"""JSON websockets: the base every socket of ours builds on, and the plumbing check (``ws/ping/``).

A socket built on ``JsonSocket`` only ever sees frames that passed the door:
a text frame larger than ``max_frame_bytes()``, not JSON, or not a JSON object
is answered with an ``error`` frame (``{"type": "error", "code": ..., "detail": ...}``)
and never reaches ``receive_json``; the socket stays open. A binary frame goes to
``receive_bytes``, which refuses it the same way unless the socket takes them.

Close codes in the 4000 range are ours: 4401 not signed in, 4403 not yours / not
found. Both are sent before ``accept``, so a real server (daphne, uvicorn)
answers the handshake with HTTP 403 and a client never sees them.

Every connection writes one JSON line on the request logger when it ends (``REQUEST_LOG``;
docs/OPERATIONS.md, "Logs"): the request id of the upgrade (the proxy's ``X-Request-ID``, else
a new one), the route's template, the user and attempt or session ids, whether it was accepted,
the close code, how long it lasted and how many frames went each way. Never a frame's content.
"""

from __future__ import annotations

import json
import time
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.broadcast import remember_server_loop
from core.request_log import REQUEST_ID_HEADER, log_line, request_id_from

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

DEFAULT_MAX_FRAME_BYTES = 4096
# URL keywords whose value is logged as a field of its own (the route's template shows the name instead).
_LOGGED_KWARGS = ("attempt_id", "session_id")


def _header(scope: dict[str, Any], name: str) -> str:
    wanted = name.lower().encode()
    for key, value in scope.get("headers", ()):
        if key.lower() == wanted:
            return value.decode("latin-1")
    return ""


def route_template(path: str, kwargs: dict[str, Any]) -> str:
    """``ws/proctoring/attempts/<attempt_id>/`` for ``/ws/proctoring/attempts/5071/``: never the filled-in ids."""
    by_value = {str(value): name for name, value in kwargs.items()}
    return "/".join(f"<{by_value[part]}>" if part in by_value else part for part in path.strip("/").split("/")) + "/"


class JsonSocket(AsyncJsonWebsocketConsumer):
    """Channels' JSON consumer with every incoming frame checked before ``receive_json`` sees it."""

    def max_frame_bytes(self) -> int:
        return DEFAULT_MAX_FRAME_BYTES

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        # This process serves sockets on the running loop: core.broadcast sends from sync code through it.
        remember_server_loop()
        self.request_id = request_id_from(_header(self.scope, REQUEST_ID_HEADER))
        self.log_state: dict[str, Any] = {"started": time.perf_counter(), "accepted": False, "close_code": None}
        self.frames = {"in": 0, "out": 0}
        server_send = self.base_send  # every frame out passes here (send, send_json, group relays)

        async def counted_send(sent: dict[str, Any]) -> None:
            if sent.get("type") == "websocket.send":
                self.frames["out"] += 1
            await server_send(sent)

        self.base_send = counted_send
        await super().websocket_connect(message)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        self.log_state["accepted"] = True
        await super().accept(subprotocol, headers)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if code is not None and code is not True:
            self.log_state["close_code"] = code
        await super().close(code, reason)
        if not self.log_state["accepted"]:
            self.log_connection()  # refused at the handshake: the client got HTTP 403 and is gone

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if self.log_state["close_code"] is None:
            self.log_state["close_code"] = message.get("code")
        self.log_connection()
        await super().websocket_disconnect(message)

    def log_connection(self) -> None:
        """One line for the whole connection (once, however it ended)."""
        if not settings.REQUEST_LOG or self.log_state.get("logged"):
            return
        self.log_state["logged"] = True
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        user = self.scope.get("user")
        record: dict[str, Any] = {
            "time": timezone.now().isoformat(timespec="milliseconds"),
            "request_id": self.request_id,
            "method": "WEBSOCKET",
            "path": route_template(self.scope.get("path", ""), kwargs),
            "view": type(self).__name__,
            "accepted": self.log_state["accepted"],
            "close_code": self.log_state["close_code"],
            "duration_ms": round((time.perf_counter() - self.log_state["started"]) * 1000, 1),
            "frames_in": self.frames["in"],
            "frames_out": self.frames["out"],
            "user_id": user.pk if user is not None and user.is_authenticated else None,
        }
        for name in _LOGGED_KWARGS:
            if name in kwargs:
                record[name] = int(kwargs[name])
        log_line(record)

    async def signed_in_user(self) -> Any | None:
        """The scope's user, or ``None`` after closing with 4401 (call from ``connect``, before ``accept``)."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return None
        return user

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        # Chinese text as it is (a third of the bytes of \\u escapes); dates and decimals as strings.
        return json.dumps(content, ensure_ascii=False, default=str)

    async def error(self, code: str, detail: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        self.frames["in"] += 1
        if bytes_data is not None:
            await self.receive_bytes(bytes_data)
            return
        text = text_data or ""
        limit = self.max_frame_bytes()
        if len(text.encode()) > limit:
            await self.error("too_large", _("Message larger than %(max)d bytes.") % {"max": limit})
            return
        try:
            content = await self.decode_json(text)
        except ValueError:
            await self.error("malformed", _("Message is not valid JSON."))
            return
        if not isinstance(content, dict):
            await self.error("malformed", _("Message is not a JSON object."))
            return
        await self.receive_json(content, **kwargs)

    async def receive_bytes(self, data: bytes) -> None:
        await self.error("malformed", _("Binary messages are not accepted here."))


class PingConsumer(JsonSocket):
    """Echoes JSON frames back to a signed-in user: the websocket plumbing check."""

    async def connect(self) -> None:
        if await self.signed_in_user() is None:
            return
        await self.accept()

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        await self.send_json({"type": "pong", "echo": content, "user": self.scope["user"].get_username()})
