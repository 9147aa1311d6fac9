"""Background work for proctoring: ids in, services called (Celery with REDIS_URL, threads otherwise)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="proctoring.process_snapshot", ignore_result=True)
def process_snapshot(snapshot_id: int) -> str | None:
    from proctoring.services.snapshots import snapshot_process

    snapshot = snapshot_process(snapshot_id=snapshot_id)
    return snapshot.status if snapshot else None


@shared_task(name="proctoring.purge_media", ignore_result=True)
def purge_media() -> dict[str, Any]:
    from proctoring.services import retention as retention_services

    return retention_services.purge_media()


@shared_task(name="proctoring.tick", ignore_result=True)
def tick() -> dict[str, int]:
    from proctoring import scheduler

    return scheduler.tick()
