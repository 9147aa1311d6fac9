from __future__ import annotations

from core.ticks import tick_command
from exams.scheduler import tick

Command = tick_command(
    tick,
    seconds_setting="EXAMS_TICK_SECONDS",
    help="Run the exam job once (or --loop): prepare papers, auto-submit overdue attempts, send reminders.",
)
