from __future__ import annotations

from celery import shared_task
from django.utils import translation


@shared_task(name="core.run_data_import", acks_late=True)
def run_data_import(job_id: int, language: str = "zh-hans") -> None:
    from core.import_jobs import import_job_run

    with translation.override(language):
        import_job_run(job_id=job_id)


@shared_task(name="core.purge_import_errors")
def purge_import_errors() -> dict[str, int]:
    from core.import_jobs import import_records_purge

    return import_records_purge()
