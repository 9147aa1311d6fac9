"""core.websocket_auth: a token socket's user comes from the token, and the key goes no further than the door."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from core.websocket_auth import TOKEN_SUBPROTOCOL, WebsocketAuth, offered_token
from tests.conftest import Cast

seen: list[dict[str, Any]] = []


class ScopeCatcher(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope["user"]
        seen.append({**self.scope, "username": user.username if user.is_authenticated else None})
        await self.accept()


def _connect(subprotocols: list[str], headers: list[tuple[bytes, bytes]] | None = None) -> tuple[bool, Any]:
    async def run() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(
            WebsocketAuth(ScopeCatcher.as_asgi()), "/ws/x/", headers=headers or [], subprotocols=subprotocols
        )
        result = await communicator.connect(timeout=10)
        await communicator.disconnect()
        return result

    return async_to_sync(run)()


def test_the_offered_token_is_read_from_the_subprotocols() -> None:
    assert offered_token({"subprotocols": ["safetrain.token", "abc"]}) == (True, "abc")
    assert offered_token({"subprotocols": ["other", "safetrain.token", "abc"]}) == (True, "abc")
    assert offered_token({"subprotocols": ["safetrain.token"]}) == (True, None)
    assert offered_token({"subprotocols": ["safetrain.token", "safetrain.token"]}) == (True, None)
    assert offered_token({"subprotocols": []}) == (False, None)
    assert offered_token({}) == (False, None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_token_user_is_on_the_scope_and_the_key_is_not(cast: Cast) -> None:
    seen.clear()
    key = Token.objects.create(user=cast.east.learner.user).key
    offered = f"{TOKEN_SUBPROTOCOL}, {key}".encode()
    assert _connect([TOKEN_SUBPROTOCOL, key], [(b"sec-websocket-protocol", offered)]) == (True, TOKEN_SUBPROTOCOL)
    [scope] = seen
    assert scope["username"] == cast.east.learner.user.username
    assert key not in repr(scope)
    assert scope["subprotocols"] == [TOKEN_SUBPROTOCOL]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unknown_key_leaves_the_socket_anonymous(cast: Cast) -> None:
    seen.clear()
    assert _connect([TOKEN_SUBPROTOCOL, "f" * 40])[0]
    assert seen[0]["username"] is None
