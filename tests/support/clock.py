"""Waiting out the end of a clock window, for tests of the fixed-window limiters.

``core.ratelimit.window_hit`` counts per multiple of its period on the clock (a minute for the
certificate lookups and the phone-reset codes). A test whose requests straddle the end of a window
sees the count restart: its third lookup is refused in one minute and its fourth allowed in the next.
Calling ``clear_of_window_end`` first starts the test where a few seconds of the window are left.
"""

from __future__ import annotations

import time


def clear_of_window_end(period: int = 60, margin: float = 5.0) -> None:
    """Return at once when at least ``margin`` seconds are left of the current ``period``-second window;
    else sleep into the next window."""
    left = period - time.time() % period
    if left < margin:
        time.sleep(left + 0.05)
