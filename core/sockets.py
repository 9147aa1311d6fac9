"""JSON websockets: the base every socket of ours builds on, and the plumbing check (``ws/ping/``).

A socket built on ``JsonSocket`` only ever sees frames that passed the door:
a text frame larger than ``max_frame_bytes()``, not JSON, or not a JSON object
is answered with an ``error`` frame (``{"type": "error", "code": ..., "detail": ...}``)
and never reaches ``receive_json``; the socket stays open. A binary frame goes to
``receive_bytes``, which refuses it the same way unless the socket takes them.

Close codes in the 4000 range are ours: 4401 not signed in, 4403 not yours / not
found. Both are sent before ``accept``, so a real server (daphne, uvicorn)
answers the handshake with HTTP 403 and a client never sees them.
"""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from core.broadcast import remember_server_loop

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

DEFAULT_MAX_FRAME_BYTES = 4096


class JsonSocket(AsyncJsonWebsocketConsumer):
    """Channels' JSON consumer with every incoming frame checked before ``receive_json`` sees it."""

    def max_frame_bytes(self) -> int:
        return DEFAULT_MAX_FRAME_BYTES

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        # This process serves sockets on the running loop: core.broadcast sends from sync code through it.
        remember_server_loop()
        await super().websocket_connect(message)

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
