"""Proctoring's periodic jobs: Celery beat with REDIS_URL (config/celery.py), daemon threads otherwise.

- ``tick``: the missing-snapshot check (``services.snapshot_gaps_tick``) and the
  deadline of liveness checks (``services.liveness.liveness_expire_tick``) every
  ``PROCTORING_TICK_SECONDS``; also ``manage.py proctoring_tick`` (cron, tests).
- ``purge``: the retention purge every ``PROCTORING_PURGE_HOURS``.

The threads start only where ``core.background.periodic_jobs_wanted`` says
(an ASGI/dev server process, not pytest, not with Celery), so tests
and management commands never flag or purge by surprise. Several processes
may each run them: both jobs are idempotent.
"""

from __future__ import annotations

import logging

from django.conf import settings

from core import background

logger = logging.getLogger(__name__)


def purge() -> None:
    from proctoring.services.retention import purge_media

    logger.info("Proctoring media purge: %s", purge_media())


def tick() -> dict[str, int]:
    from proctoring.services.liveness import liveness_expire_tick
    from proctoring.services.snapshots import snapshot_gaps_tick

    result = snapshot_gaps_tick()
    expired = liveness_expire_tick()
    return {
        "in_gap": result.in_gap,
        "flagged": result.flagged,
        "submitted": result.submitted,
        "liveness_expired": expired,
    }


def start() -> bool:
    if not background.periodic_jobs_wanted():
        return False
    started = background.run_periodically("proctoring-tick", tick, interval=settings.PROCTORING_TICK_SECONDS)
    purging = background.run_periodically("proctoring-purge", purge, interval=settings.PROCTORING_PURGE_HOURS * 3600)
    return started or purging
