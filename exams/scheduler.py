"""The periodic exam job: prepare papers, auto-submit at the deadline, remind of expiring certificates.

Scaled out (REDIS_URL set), Celery beat runs ``exams.tasks.tick`` every
``EXAMS_TICK_SECONDS`` (config/celery.py). In the embedded default a daemon
thread in the ASGI server process runs the same ``tick``.

The thread starts from ``ExamsConfig.ready`` only where
``core.background.periodic_jobs_wanted`` says so: a server process (daphne,
uvicorn or runserver on argv), never under pytest or other management
commands, so a migration or a test run doesn't start submitting attempts; set
``PERIODIC_JOBS=on`` to force it, ``off`` to disable it. Several server
processes may each run it: every step is idempotent (the submit is a
conditional UPDATE), so overlap costs a few queries, never a double grading.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from core import background

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


def start() -> bool:
    """Start the scheduler thread once per process; returns whether this call started it."""
    return background.run_periodically(THREAD, tick, interval=settings.EXAMS_TICK_SECONDS)
