from __future__ import annotations

from analytics.exports import export_purge
from core.ticks import tick_command

Command = tick_command(
    export_purge,
    seconds_setting="ANALYTICS_EXPORT_PURGE_SECONDS",
    help="Delete export files older than ANALYTICS_EXPORT_RETENTION_HOURS (once, or --loop). Idempotent.",
)
