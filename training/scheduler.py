"""The daily training job: assign this year's annual retraining, email due-date reminders.

Scaled out (REDIS_URL set), Celery beat runs ``training.tasks.daily`` every
``TRAINING_DAILY_JOB_HOURS`` (config/celery.py). In the embedded default a
daemon thread runs the same job, started only where
``core.background.periodic_jobs_wanted`` says (an ASGI/dev server process, not
pytest, not with Celery). The thread's first run is at the next
``RUN_AT_HOUR`` o'clock local time, then every interval: a nightly job, not
one that fires on every restart in the middle of the working day. Both steps are idempotent, so several server
processes overlapping cost a few queries, never a duplicate assignment or a
second email the same day. The ledger purge stays a command of its own
(``training_ledger_purge``): deleting evidence is run on purpose.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from core import background

logger = logging.getLogger(__name__)
RUN_AT_HOUR = 2


def daily() -> dict[str, Any]:
    from training.services.annual import annual_training_assign
    from training.services.assignments import reminders_send

    today = timezone.localdate()
    annual = annual_training_assign(year=today.year)
    reminded = reminders_send(today=today)
    result = {"year": annual.year, "annual_assigned": annual.assigned, "reminders": reminded}
    logger.info("Training daily job: %s", result)
    return result


def seconds_until_next_run(now: dt.datetime | None = None) -> float:
    now = timezone.localtime(now)
    run_at = now.replace(hour=RUN_AT_HOUR, minute=0, second=0, microsecond=0)
    if run_at <= now:
        run_at += dt.timedelta(days=1)
    return (run_at - now).total_seconds()


def start() -> bool:
    if not background.periodic_jobs_wanted():
        return False
    return background.run_periodically(
        "training-daily", daily, interval=settings.TRAINING_DAILY_JOB_HOURS * 3600, first_delay=seconds_until_next_run
    )
