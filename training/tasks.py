"""Background work for training: Celery beat with REDIS_URL (config/celery.py), training.scheduler otherwise."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="training.daily", ignore_result=True)
def daily() -> dict[str, Any]:
    from training.scheduler import daily as run

    return run()
