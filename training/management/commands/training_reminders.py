from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from training.services.assignments import reminders_send


class Command(BaseCommand):
    help = "Email learners whose training is due soon or overdue (run daily; in-app reminders need no job)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        self.stdout.write(f"reminders sent: {sent}")
