"""Who is on a websocket: a browser by its session cookie, a token client by its API token.

A token client (mobile app, mini-program) offers the subprotocols
``["safetrain.token", "<token key>"]`` in ``Sec-WebSocket-Protocol``; the
socket is accepted with ``safetrain.token`` echoed. The key never goes in the
URL, because URLs end up in access logs.

- Cookie sockets keep ``AllowedHostsOriginValidator(AuthMiddlewareStack(...))``:
  a browser sends the cookie to any page that opens the socket, so the Origin
  must be ours.
- Token sockets are authenticated by the API's token authentication (the
  ``TokenAuthentication`` subclass in DRF's ``DEFAULT_AUTHENTICATION_CLASSES``:
  the same rules as the HTTP API, including whatever it refuses), never by a
  cookie the request may also carry. They may come without an Origin (native
  clients send none), but an Origin that is sent must be ours.

A bad or missing key leaves the user anonymous: the consumer refuses the
socket as it refuses an anonymous cookie socket (4401).
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from rest_framework import authentication, exceptions
from rest_framework.settings import api_settings

TOKEN_SUBPROTOCOL = "safetrain.token"  # noqa: S105 - a protocol name, not a secret
# DRF token keys are 40 hex characters; anything much longer is not a key.
_MAX_KEY_LENGTH = 128

Scope = dict[str, Any]


def offered_token(scope: Scope) -> tuple[bool, str | None]:
    """``(True, key)`` when the client asked for token authentication (``key`` None if it sent none)."""
    protocols = [str(p) for p in scope.get("subprotocols") or []]
    if TOKEN_SUBPROTOCOL not in protocols:
        return False, None
    index = protocols.index(TOKEN_SUBPROTOCOL)
    key = protocols[index + 1] if index + 1 < len(protocols) else ""
    if not key or len(key) > _MAX_KEY_LENGTH or key == TOKEN_SUBPROTOCOL:
        return True, None
    return True, key


def api_token_authentication() -> authentication.TokenAuthentication:
    """The API's own token authenticator, as settings name it: the socket knows no app."""
    for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authenticator, authentication.TokenAuthentication):
            return authenticator()
    raise ImproperlyConfigured("REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES has no token authentication.")


@database_sync_to_async
def _user_for_key(key: str | None) -> Any:
    if key is None:
        return AnonymousUser()
    try:
        user, _token = api_token_authentication().authenticate_credentials(key)
    except exceptions.APIException:
        # Invalid, inactive, or refused by a rule of the API (e.g. MFA not enrolled).
        return AnonymousUser()
    return user


class TokenAuthMiddleware:
    """Sets ``scope["user"]`` from the offered token and echoes the subprotocol on accept."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        _offered, key = offered_token(scope)
        # The key is a credential: it leaves the scope here, so nothing downstream can log it.
        headers = [(name, value) for name, value in scope.get("headers", []) if name != b"sec-websocket-protocol"]
        scope = {
            **scope,
            "headers": [*headers, (b"sec-websocket-protocol", TOKEN_SUBPROTOCOL.encode())],
            "subprotocols": [TOKEN_SUBPROTOCOL],
            "user": await _user_for_key(key),
        }
        scope.pop("session", None)

        async def send_with_subprotocol(message: dict[str, Any]) -> None:
            if message.get("type") == "websocket.accept" and not message.get("subprotocol"):
                message = {**message, "subprotocol": TOKEN_SUBPROTOCOL}
            await send(message)

        return await self.app(scope, receive, send_with_subprotocol)


class _OriginIfSent(OriginValidator):
    """Like ``AllowedHostsOriginValidator``, except that a socket without an Origin header passes."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))


def _token_stack(app: Any) -> Any:
    hosts = AllowedHostsOriginValidator(app).allowed_origins  # the same host list, DEBUG defaults included
    return _OriginIfSent(TokenAuthMiddleware(app), hosts)


class WebsocketAuth:
    """The websocket application: token sockets one way, cookie sockets the other (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.cookie_app = AllowedHostsOriginValidator(AuthMiddlewareStack(app))
        self.token_app = _token_stack(app)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        offered, _key = offered_token(scope)
        return await (self.token_app if offered else self.cookie_app)(scope, receive, send)
