"""The retention purge on a schedule: Celery beat with REDIS_URL (config/celery.py), a daemon thread otherwise.

The thread starts only where exams' deadline thread would (exams.scheduler's
checks: an ASGI/dev server process, not pytest, not with Celery), so tests
and management commands never purge by surprise.
"""

from __future__ import annotations

import logging

from django.conf import settings

from config import background

logger = logging.getLogger(__name__)


def purge() -> None:
    from proctoring.services import purge_media

    logger.info("Proctoring media purge: %s", purge_media())


def start() -> bool:
    from exams import scheduler as exams_scheduler

    if not exams_scheduler.should_start():
        return False
    return background.run_periodically("proctoring-purge", purge, interval=settings.PROCTORING_PURGE_HOURS * 3600)
