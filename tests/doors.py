"""One HTTP request through each door a deployment has: the ASGI app and the WSGI app.

The embedded default serves every request from daphne (``config.asgi``); the
scaled-out topology serves pages and the API from gunicorn (``config.wsgi``)
and only websockets from daphne. Tests that must hold for both send the same
request through :func:`call_asgi` and :func:`call_wsgi` and compare. Websockets
go through :func:`socket_open` (the communicator, to talk on) or
:func:`socket_answer` (accepted or refused, and how).

Both return ``(status, headers by lower-case name, body)``. Each request runs
in a thread of its own, as under a server, and that thread's database
connections are closed when it ends (the test database is dropped at the end).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync

Request = tuple[str, str, bytes, list[tuple[str, str]]]  # method, path, body, extra headers
Response = tuple[int, dict[str, str], bytes]


def in_own_thread(coroutine: Any) -> Any:
    """Run a coroutine to its end in a thread of its own (the test's thread holds the test transaction)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


async def call(
    app: Any, method: str, path: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None
) -> Response:
    """One HTTP request through an ASGI app."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers or []],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    done = asyncio.Event()
    sent = False
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await asyncio.wait_for(app(scope, receive, send), timeout=60)
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], names, content


def wsgi_environ(method: str, path: str, body: bytes, headers: list[tuple[str, str]]) -> dict[str, Any]:
    """The environ a WSGI server (gunicorn) builds: repeated headers joined with a comma."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key in environ and key != "HTTP_HOST" else value
    return environ


def _wsgi_in_thread(app: Callable[..., Any], request: Request) -> Response:
    from django.db import connections

    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started["status"] = int(status.split()[0])
        # Stripped as the client reads them: Django's WSGI handler writes " csrftoken=…" for a cookie.
        started["headers"] = {k.lower(): v.strip() for k, v in response_headers}
        return lambda data: None

    try:
        result = app(wsgi_environ(*request), start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()  # request_finished: Django's end-of-request connection handling
    finally:
        connections.close_all()
    return started["status"], started["headers"], content


def call_wsgi(
    app: Any, method: str, path: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None
) -> Response:
    """One HTTP request through a WSGI app, in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_wsgi_in_thread, app, (method, path, body, headers or [])).result(timeout=120)


def call_wsgi_together(app: Any, requests: list[Request]) -> list[Response]:
    """Several requests through a WSGI app at once, one thread each (as gunicorn's gthread worker does)."""
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(_wsgi_in_thread, app, r) for r in requests]]


def call_asgi(
    app: Any, method: str, path: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None
) -> Response:
    """One HTTP request through an ASGI app, on an event loop in a thread of its own."""
    return in_own_thread(call(app, method, path, body, headers))


async def socket_open(
    path: str, headers: list[tuple[bytes, bytes]] | None = None, subprotocols: list[str] | None = None
) -> tuple[Any, bool, Any]:
    """A websocket to ``config.asgi``'s application: (communicator, accepted, subprotocol or close code)."""
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)
    accepted, detail = await communicator.connect(timeout=10)
    return communicator, accepted, detail


def socket_answer(
    path: str, headers: list[tuple[bytes, bytes]] | None = None, subprotocols: list[str] | None = None
) -> tuple[bool, Any]:
    """Whether a websocket to ``path`` is accepted, and its subprotocol or close code; closed again at once."""

    async def run() -> tuple[bool, Any]:
        communicator, accepted, detail = await socket_open(path, headers, subprotocols)
        await communicator.disconnect()
        return accepted, detail

    return async_to_sync(run)()


def session_cookie(user: Any) -> tuple[bytes, bytes]:
    """The handshake header that carries ``user``'s session (signed in through the test client)."""
    from django.conf import settings

    from tests.conftest import login_client

    name = settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={login_client(user).cookies[name].value}".encode())
