"""The base of every refusal a service raises.

A service refuses with a ``ServiceError`` subclass: its message is written for
the user who asked (translated), ``code`` is a stable machine-readable reason
and ``status`` the HTTP status an API answers with; keyword ``details`` ride
along (the API body, the socket's error frame). A refusal declares its code
and status in its class header (``class TimeUp(ExamError, code="time_up")``),
so a module of refusals reads as one table. Each app has one base of its
own (``ExamError``, ``ProctoringError``, ``TrainingError``) in its services'
``errors`` module. Where callers catch a built-in (``except ValueError``), the
app's error keeps that built-in as a second base.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    code = "refused"
    status = 409

    def __init_subclass__(cls, *, code: str | None = None, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if status is not None:
            cls.status = status

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
