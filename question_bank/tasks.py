from __future__ import annotations

from celery import shared_task
from django.utils import translation


@shared_task(name="question_bank.run_import_job", acks_late=True)
def run_import_job(job_id: int, language: str = "zh-hans") -> None:
    from question_bank.services import import_job_run

    with translation.override(language):
        import_job_run(job_id=job_id)
