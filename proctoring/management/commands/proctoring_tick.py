from __future__ import annotations

from core.ticks import tick_command
from proctoring.scheduler import tick

Command = tick_command(
    tick,
    seconds_setting="PROCTORING_TICK_SECONDS",
    help=(
        "Run the proctoring job once (or --loop): flag, warn and, per policy, submit in-progress proctored "
        "attempts whose snapshots stopped arriving. Idempotent: each gap is flagged once."
    ),
)
