from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from training.services.retention import ledger_purge_expired


class Command(BaseCommand):
    help = "Delete credit-ledger rows past their retention period (settings.TRAINING_LEDGER_RETENTION_YEARS)."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = ledger_purge_expired()
        self.stdout.write(f"ledger rows removed: {removed}")
