from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from exams.scheduler import tick


class Command(BaseCommand):
    help = "Run the exam job once (or --loop): prepare papers, auto-submit overdue attempts, send reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running every EXAMS_TICK_SECONDS.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = tick()
            self.stdout.write(", ".join(f"{k}={v}" for k, v in result.items()))
            if not options["loop"]:
                return
            time.sleep(settings.EXAMS_TICK_SECONDS)
