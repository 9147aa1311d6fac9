"""Background work for classroom: Celery beat with REDIS_URL (config/celery.py), classroom.scheduler otherwise."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="classroom.reminders", ignore_result=True)
def reminders() -> dict[str, int]:
    from classroom.services.reminders import reminders_tick

    return reminders_tick()
