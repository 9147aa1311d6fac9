"""The one shape of a periodic job's management command: run once, or ``--loop``.

An app's ``*_tick`` command names its tick function and the setting that holds
its period; the loop, the argument and the ``key=value`` output live here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def tick_command(tick: Callable[[], Mapping[str, Any]], *, seconds_setting: str, help: str) -> type[BaseCommand]:  # noqa: A002
    """A ``Command`` class for ``tick``, looping every ``settings.<seconds_setting>``."""

    class Command(BaseCommand):
        def add_arguments(self, parser: CommandParser) -> None:
            parser.add_argument("--loop", action="store_true", help=f"Keep running every {seconds_setting}.")

        def handle(self, *args: Any, **options: Any) -> None:
            while True:
                result = tick()
                self.stdout.write(", ".join(f"{k}={v}" for k, v in result.items()))
                if not options["loop"]:
                    return
                time.sleep(getattr(settings, seconds_setting))

    Command.help = help
    return Command
