"""Counters in the Django cache for doors that anyone may knock on (a public lookup, photo uploads).

``window_hit``: at most ``limit`` hits per ``period`` seconds for a key. The
caller names what is counted (``"exams:certificate-lookup:" + client_ip``) and
asks before doing the work. The window is the current multiple of ``period``
on the clock, so every process that shares the cache (Redis) counts together;
with locmem each process counts on its own. ``counter_hit`` is the atomic
count underneath, for callers that keep windows of their own.
"""

from __future__ import annotations

import math
import time


def counter_hit(counter: str, *, timeout: int) -> int:
    """Add one to ``counter`` (created at 1 and kept ``timeout`` seconds); returns the new count."""
    from django.core.cache import cache

    # add() is atomic where incr() is not defined on a missing key.
    if cache.add(counter, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(counter)
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, timeout=timeout)
        return 1


def window_hit(key: str, *, limit: int, period: int, now: float | None = None) -> int:
    """Count one hit for ``key``; 0 when it is within the limit, else the seconds until the window ends."""
    now = time.time() if now is None else now
    window = int(now // period)
    # The counter outlives its window a little; the next window has a counter of its own.
    if counter_hit(f"ratelimit:{key}:{window}", timeout=period + 5) <= limit:
        return 0
    return max(1, math.ceil((window + 1) * period - now))
