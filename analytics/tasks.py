"""Background work for analytics: ids in, services called (Celery with REDIS_URL, threads otherwise)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="analytics.run_export_job", acks_late=True)
def run_export_job(job_id: int) -> None:
    from analytics.exports import export_job_run

    export_job_run(job_id=job_id)


@shared_task(name="analytics.purge_exports", ignore_result=True)
def purge_exports() -> dict[str, Any]:
    from analytics.exports import export_purge

    return export_purge()


@shared_task(name="analytics.refresh_facts", ignore_result=True)
def refresh_facts() -> dict[str, Any]:
    from analytics.facts import facts_refresh

    return facts_refresh()
