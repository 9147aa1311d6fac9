"""A fixed-window counter in the Django cache: at most ``limit`` hits per ``period`` seconds for a key.

For doors that anyone may knock on (a public lookup, a code sent by SMS): the
caller names what is counted (``"exams:certificate-lookup:" + client_ip``) and
asks before doing the work. The window is the current multiple of ``period``
on the clock, so every process that shares the cache (Redis) counts together;
with locmem each process counts on its own.
"""

from __future__ import annotations

import math
import time


def window_hit(key: str, *, limit: int, period: int, now: float | None = None) -> int:
    """Count one hit for ``key``; 0 when it is within the limit, else the seconds until the window ends."""
    from django.core.cache import cache

    now = time.time() if now is None else now
    window = int(now // period)
    counter = f"ratelimit:{key}:{window}"
    # add() is atomic where incr() is not defined on a missing key; the counter outlives its window a little.
    if cache.add(counter, 1, timeout=period + 5):
        count = 1
    else:
        try:
            count = cache.incr(counter)
        except ValueError:  # evicted between add and incr
            cache.set(counter, 1, timeout=period + 5)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * period - now))
