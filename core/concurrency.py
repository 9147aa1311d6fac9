"""A bound on how many HTTP requests one server process works on at once.

Django's ASGI handler runs every request's sync code in a thread of its own.
When 2,000 examinees press "start" in the same second, a daphne process holds
~500 threads that all want the GIL and one of a handful of database
connections; most of the CPU then goes to switching between them
(bench/bench_exam.py). Here a request waits in the event loop, which costs
nothing, until one of ``limit`` slots is free, in arrival order.

A slot is taken once the request body has arrived (a slow upload from a
phone does not hold one) and given back as soon as the response starts (a
long video download does not hold one either). Websockets are not limited.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any


class HttpConcurrencyLimit:
    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        semaphore = self._semaphore()
        held = False

        async def receive_then_wait() -> dict[str, Any]:
            nonlocal held
            message = await receive()
            if not held and message["type"] == "http.request" and not message.get("more_body", False):
                await semaphore.acquire()
                held = True
            return message

        def release() -> None:
            nonlocal held
            if held:
                held = False
                semaphore.release()

        async def send_and_release(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive_then_wait, send_and_release)
        finally:
            release()
