from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from proctoring.scheduler import tick


class Command(BaseCommand):
    help = (
        "Run the proctoring job once (or --loop): flag, warn and, per policy, submit in-progress proctored "
        "attempts whose snapshots stopped arriving. Idempotent: each gap is flagged once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running every PROCTORING_TICK_SECONDS.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = tick()
            self.stdout.write(", ".join(f"{k}={v}" for k, v in result.items()))
            if not options["loop"]:
                return
            time.sleep(settings.PROCTORING_TICK_SECONDS)
