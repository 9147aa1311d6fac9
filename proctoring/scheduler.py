"""The retention purge on a schedule: Celery beat with REDIS_URL (config/celery.py), a daemon thread otherwise.

The thread starts only where exams' deadline thread would (exams.scheduler's
checks: an ASGI/dev server process, not pytest, not with Celery), so tests
and management commands never purge by surprise.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)
_started = threading.Event()
_lock = threading.Lock()


def _loop(interval: float) -> None:
    while True:
        try:
            close_old_connections()
            from proctoring.services import purge_media

            counts = purge_media()
            logger.info("Proctoring media purge: %s", counts)
        except Exception:
            logger.exception("Proctoring media purge failed")
        finally:
            close_old_connections()
        time.sleep(interval)


def start() -> bool:
    from exams import scheduler as exams_scheduler

    if not exams_scheduler.should_start():
        return False
    with _lock:
        if _started.is_set():
            return False
        _started.set()
    interval = settings.PROCTORING_PURGE_HOURS * 3600
    threading.Thread(target=_loop, args=(interval,), name="proctoring-purge", daemon=True).start()
    return True
