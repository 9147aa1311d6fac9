"""``manage.py analytics_refresh``: bring the pre-aggregated facts up to date (``analytics.facts``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from analytics.facts import facts_rebuild, facts_refresh
from core.ticks import tick_command

# The refresh is a periodic job like the apps' ``*_tick`` commands (once, or --loop); --rebuild comes first.
Refresh = tick_command(
    facts_refresh,
    seconds_setting="ANALYTICS_FACTS_REFRESH_SECONDS",
    help="Recompute the analytics facts of the rows written since the last refresh (once, or --loop); "
    "--rebuild recomputes every fact from the rows (after a bulk load or the first migration).",
)


class Command(Refresh):  # type: ignore[misc,valid-type]
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--rebuild", action="store_true", help="Rebuild every fact from the rows.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self.stdout.write(", ".join(f"{k}={v}" for k, v in facts_rebuild().items()))
        super().handle(*args, **options)
