from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="exams.tick", acks_late=False, ignore_result=True)
def tick() -> dict[str, Any]:
    """Celery beat's entry to the exam job (prepare, auto-submit, reminders)."""
    from exams.scheduler import tick as run

    return run()
