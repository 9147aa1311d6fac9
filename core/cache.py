"""Django's Redis cache with one connection pool per process, not one per async context.

Django keeps cache objects in an ``asgiref.local.Local``: under ASGI every
request and every websocket consumer runs in its own context and gets a new
``RedisCache``, hence a new ``ConnectionPool`` and a new TCP connection to
Redis (plus redis-py reading its version from package metadata for the
handshake). bench/bench_ws.py measured that as a third of the CPU a websocket
connect cost once sessions were read from Redis. redis-py's pools are
thread-safe and fork-aware, so one per server URL and process is enough.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
_lock = threading.Lock()


class _SharedPoolClient(RedisCacheClient):
    def _get_connection_pool(self, write: bool) -> Any:
        url = self._servers[self._get_connection_pool_index(write)]
        key = (url, tuple(sorted((k, repr(v)) for k, v in self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(url, **self._pool_options)
        return pool


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SharedPoolClient
