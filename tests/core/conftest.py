"""Fixtures of the core tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture
def request_lines() -> Iterator[list[str]]:
    """The lines the request logger writes (it does not propagate to the root logger). The ASGI application
    is imported first: its django.setup() configures logging again, which would drop a handler added before."""
    import config.asgi  # noqa: F401

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    logger = logging.getLogger("safetrain.request")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)
