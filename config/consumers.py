from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

# Close codes in the 4000 range are ours: 4401 = not signed in.
CLOSE_UNAUTHENTICATED = 4401
MAX_FRAME_BYTES = 4096


class PingConsumer(AsyncJsonWebsocketConsumer):
    """Echoes JSON frames back to a signed-in user: the websocket plumbing check."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.send_json({"type": "error", "detail": "Binary frames are not accepted here."})
            return
        if len(text_data) > MAX_FRAME_BYTES:
            await self.send_json({"type": "error", "detail": f"Frame larger than {MAX_FRAME_BYTES} bytes."})
            return
        await super().receive(text_data=text_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        import json

        try:
            return json.loads(text_data)
        except ValueError:
            return {"__invalid__": True}

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("__invalid__"):
            await self.send_json({"type": "error", "detail": "Frame is not a JSON object."})
            return
        await self.send_json({"type": "pong", "echo": content, "user": self.scope["user"].get_username()})
