"""Blocking calls from async code on worker threads, and the database connections those threads keep.

Channels' ``database_sync_to_async`` runs every call of a process on one
thread (asgiref's thread-sensitive mode): right for the ORM's default use, a
queue when hundreds of sockets store at once. ``sync_to_worker_pool`` runs a
call on a pool instead, so the calls of different sockets run in parallel; one
socket's calls stay in order because a consumer handles one message at a time.
Each pool thread keeps its own database connection (closed by Django's usual
``close_old_connections`` around every call, as channels does);
``close_worker_pool_connections`` closes what is left, for a test database
that must be dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.db import connections

# Every connection a pool thread has used (a connection object belongs to its thread).
_worker_connections: set[Any] = set()


def sync_to_worker_pool(func: Callable[..., Any], executor: ThreadPoolExecutor | None = None) -> Any:
    """``func`` as an awaitable run on ``executor`` (or the loop's default pool), not the one ORM thread."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        finally:
            _worker_connections.add(connections["default"])

    return DatabaseSyncToAsync(run, thread_sensitive=False, executor=executor)


def close_worker_pool_connections() -> None:
    """Close the pool threads' idle database connections (tests, before the test database is dropped)."""
    for connection in list(_worker_connections):
        connection.inc_thread_sharing()
        try:
            connection.close()
        finally:
            connection.dec_thread_sharing()
    _worker_connections.clear()
