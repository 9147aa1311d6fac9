"""What analytics refuses: a bad question (400), a scope the caller may not read (403)."""

from __future__ import annotations

from typing import Any

from core.errors import ServiceError


class AnalyticsError(ServiceError):
    """The base of every analytics refusal."""

    code = "invalid"
    status = 400


class InvalidQuery(AnalyticsError):
    """A parameter of the question is wrong; ``field`` names it (``from``, ``group_by``, …)."""

    def __init__(self, message: str = "", *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class UnknownIndicator(InvalidQuery):
    code = "unknown_indicator"

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message, field="indicator", **details)


class OutOfScope(AnalyticsError):
    """The jurisdiction or enterprise exists, but not within what the caller may read."""

    code = "out_of_scope"
    status = 403
