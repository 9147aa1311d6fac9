"""The Redis cache shares one connection pool per process across async contexts (core.cache)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches


def _run_in_own_thread(coroutine: Any) -> Any:
    # Not asyncio.run() here: after the browser tests the main thread may already have a
    # running loop (sync Playwright), and asyncio.run() refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


def _pool_and_roundtrip(key: str) -> tuple[int, Any]:
    cache = caches["default"]
    cache.set(key, {"ok": key}, 30)
    return id(cache._cache._get_connection_pool(True)), cache.get(key)


def test_every_request_context_uses_the_same_redis_pool() -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the embedded default caches in memory)")

    async def contexts() -> list[tuple[int, Any]]:
        # Each task is its own context, as each ASGI request or websocket consumer is.
        calls = [sync_to_async(_pool_and_roundtrip, thread_sensitive=False)(f"cache-test-{i}") for i in range(8)]
        return await asyncio.gather(*calls)

    results = _run_in_own_thread(contexts())
    assert {value["ok"] for _pool, value in results} == {f"cache-test-{i}" for i in range(8)}
    assert len({pool for pool, _value in results}) == 1
    caches["default"].delete_many([f"cache-test-{i}" for i in range(8)])
