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


class TickCommand(BaseCommand):
    """Subclasses set ``seconds_setting`` and implement ``tick()``."""

    seconds_setting: str

    def tick(self) -> Mapping[str, Any]:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help=f"Keep running every {self.seconds_setting}.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = self.tick()
            self.stdout.write(", ".join(f"{k}={v}" for k, v in result.items()))
            if not options["loop"]:
                return
            time.sleep(getattr(settings, self.seconds_setting))


def tick_command(tick: Callable[[], Mapping[str, Any]], *, seconds_setting: str, help: str) -> type[TickCommand]:  # noqa: A002
    """A ``Command`` class for ``tick``, looping every ``settings.<seconds_setting>``."""

    class Command(TickCommand):
        def tick(self) -> Mapping[str, Any]:
            return tick()

    Command.seconds_setting = seconds_setting
    Command.help = help
    return Command
