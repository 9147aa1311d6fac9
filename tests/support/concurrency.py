"""Calls released at the same instant from many threads, for the tests of races (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def at_once(
    count: int, call: Callable[[], T], *, barrier_timeout: float | None = None, join_timeout: float | None = None
) -> tuple[list[T], list[BaseException]]:
    """Run ``call`` in ``count`` threads that wait at a barrier and start together. Returns what
    the calls returned and what they raised, each list in the order the threads finished.

    Each thread closes its database connections when done: with CONN_MAX_AGE a kept connection
    per thread would stop the test database's teardown."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=barrier_timeout)
            results.append(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return results, errors
