from __future__ import annotations

from celery import shared_task
from django.utils import translation


@shared_task(name="question_bank.run_import_job", acks_late=True)
def run_import_job(job_id: int, language: str = "zh-hans") -> None:
    from question_bank.services import import_job_run

    with translation.override(language):
        import_job_run(job_id=job_id)


@shared_task(name="question_bank.run_sibling_scan", acks_late=True)
def run_sibling_scan(bank_id: int) -> None:
    from question_bank.models import Bank
    from question_bank.siblings import siblings_scan

    bank = Bank.objects.filter(pk=bank_id).first()
    if bank is not None:  # deleted while queued: nothing to scan
        siblings_scan(bank=bank)
