"""The periodic exam job: prepare papers, auto-submit at the deadline, remind of expiring certificates.

Scaled out (REDIS_URL set), Celery beat runs ``exams.tasks.tick`` every
``EXAMS_TICK_SECONDS`` (config/celery.py). In the embedded default a daemon
thread in the ASGI server process runs the same ``tick``.

The thread starts from ``ExamsConfig.ready`` only in a server process (daphne,
uvicorn or runserver on argv) and never under pytest or other management
commands, so a migration or a test run doesn't start submitting attempts; set
``EXAMS_SCHEDULER=on`` to force it, ``off`` to disable it. Several server
processes may each run it: every step is idempotent (the submit is a
conditional UPDATE), so overlap costs a few queries, never a double grading.
"""

from __future__ import annotations

import logging
import os
import sys

from django.conf import settings
from django.utils import timezone

from config import background

logger = logging.getLogger(__name__)
THREAD = "exams-scheduler"
_last_reminder_day: list[object] = [None]


def tick() -> dict[str, int]:
    from exams.services.attempts import attempts_submit_overdue
    from exams.services.certificates import certificates_remind_expiring
    from exams.services.sessions import sessions_prepare_due

    now = timezone.now()
    result = {
        "prepared": sessions_prepare_due(now=now),
        "auto_submitted": attempts_submit_overdue(now=now),
        "reminded": 0,
    }
    today = timezone.localdate(now)
    if _last_reminder_day[0] != today:
        result["reminded"] = certificates_remind_expiring(today=today)
        _last_reminder_day[0] = today
    return result


def is_server_process(argv: list[str] | None = None) -> bool:
    argv = argv if argv is not None else sys.argv
    if "pytest" in sys.modules:
        return False
    program = os.path.basename(argv[0]) if argv else ""
    return program in ("daphne", "uvicorn") or "runserver" in argv[1:2]


def should_start() -> bool:
    mode = settings.EXAMS_SCHEDULER
    if mode == "off" or settings.BACKGROUND_BACKEND == "celery":
        return False
    return mode == "on" or is_server_process()


def start() -> bool:
    """Start the scheduler thread once per process; returns whether this call started it."""
    return background.run_periodically(THREAD, tick, interval=settings.EXAMS_TICK_SECONDS)
