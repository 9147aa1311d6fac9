"""``manage.py analytics_refresh``: bring the pre-aggregated facts up to date (``analytics.facts``)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from analytics.facts import facts_rebuild, facts_refresh


class Command(BaseCommand):
    help = (
        "Recompute the analytics facts of the rows written since the last refresh (once, or --loop); "
        "--rebuild recomputes every fact from the rows (after a bulk load or the first migration)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Rebuild every fact from the rows.")
        parser.add_argument(
            "--loop", action="store_true", help="Keep refreshing every ANALYTICS_FACTS_REFRESH_SECONDS."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self._write(facts_rebuild())
        while True:
            self._write(facts_refresh())
            if not options["loop"]:
                return
            time.sleep(settings.ANALYTICS_FACTS_REFRESH_SECONDS)

    def _write(self, result: dict[str, Any]) -> None:
        self.stdout.write(", ".join(f"{k}={v}" for k, v in result.items()))
