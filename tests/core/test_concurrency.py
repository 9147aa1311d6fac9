"""core.concurrency.HttpConcurrencyLimit: how many HTTP requests a server process works on at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.concurrency import HttpConcurrencyLimit


def _run_in_own_thread(coroutine: Any) -> Any:
    # Not asyncio.run() here: after the browser tests the main thread may already have a
    # running loop (sync Playwright), and asyncio.run() refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


class App:
    """An ASGI app that reads the whole body, then responds, optionally streaming its body slowly."""

    def __init__(self) -> None:
        self.working = 0
        self.most = 0
        self.order: list[str] = []
        self.stream_gate: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        name = scope["path"]
        if scope["type"] == "http":
            while (await receive()).get("more_body"):
                pass
        self.working += 1
        self.most = max(self.most, self.working)
        await asyncio.sleep(0.01)
        self.working -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        gate = self.stream_gate.get(name)
        if gate is not None:
            await gate.wait()  # a long download
        await send({"type": "http.response.body", "body": b"ok"})
        self.order.append(name)


def _request(path: str, chunks: list[asyncio.Event] | None = None) -> tuple[dict[str, Any], Any, Any]:
    pending = list(chunks or [])

    async def receive() -> dict[str, Any]:
        if pending:
            await pending.pop(0).wait()  # the client is still uploading
            return {"type": "http.request", "body": b"x", "more_body": bool(pending)}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    return {"type": "http", "path": path}, receive, send


def test_at_most_limit_requests_are_worked_on_and_all_finish() -> None:
    app = App()
    limited = HttpConcurrencyLimit(app, 2)

    async def run() -> None:
        await asyncio.gather(*(limited(*_request(f"/r{i}")) for i in range(10)))

    _run_in_own_thread(run())
    assert app.most == 2
    assert sorted(app.order) == sorted(f"/r{i}" for i in range(10))


def test_a_slow_upload_or_a_long_download_does_not_hold_a_slot() -> None:
    app = App()
    limited = HttpConcurrencyLimit(app, 1)

    async def run() -> None:
        upload_done = asyncio.Event()
        download_done = asyncio.Event()
        app.stream_gate["/download"] = download_done
        uploading = asyncio.create_task(limited(*_request("/upload", [upload_done])))
        downloading = asyncio.create_task(limited(*_request("/download")))
        await asyncio.sleep(0.05)  # the download has started streaming
        await asyncio.wait_for(limited(*_request("/quick")), timeout=2)
        assert app.order == ["/quick"]  # neither the upload nor the download is finished
        upload_done.set()
        download_done.set()
        await asyncio.gather(uploading, downloading)

    _run_in_own_thread(run())
    assert set(app.order) == {"/quick", "/upload", "/download"}


def test_websockets_are_not_limited() -> None:
    app = App()
    limited = HttpConcurrencyLimit(app, 1)

    async def run() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            return None

        await asyncio.gather(*(limited({"type": "websocket", "path": f"/ws{i}"}, receive, send) for i in range(3)))

    _run_in_own_thread(run())
    assert app.most == 3
