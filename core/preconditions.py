"""Exam start preconditions: how a higher app (proctoring) tells exams what must hold before a paper is delivered.

Exams may not import the apps built on it. An app registers a callable in its
``AppConfig.ready()``; ``exams.services.attempts.attempt_start`` asks every one before
anything is used up, and the exam listings (web notice page, ``/api/v1/me/exams/``)
show what each one describes.

A precondition is called as ``check(session=..., person=..., full=...)`` and
returns ``None`` when it does not apply to the session, otherwise a
``Requirement``. With ``full=False`` (the start path, thousands at one instant)
it must be cheap and may leave ``details`` and ``notes`` short; with
``full=True`` (listings) it describes everything a client needs. Never cache an
answer that could let an unchecked start through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Requirement:
    """One precondition's answer for one person and session."""

    code: str  # machine-readable, e.g. "identity_check_required"
    satisfied: bool
    message: str  # for the person, in the active language
    details: dict[str, Any] = field(default_factory=dict)  # JSON-safe; "url": where to satisfy it on the web
    notes: list[str] = field(default_factory=list)  # lines for the exam notice (what is recorded, limits)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "satisfied": self.satisfied, "message": self.message, "details": self.details}


Precondition = Callable[..., Requirement | None]

_registry: dict[str, Precondition] = {}


def register(name: str, check: Precondition) -> None:
    """Register (or replace) the precondition called ``name``; call from ``AppConfig.ready()``."""
    _registry[name] = check


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[str]:
    return list(_registry)


def describe(*, session: Any, person: Any) -> list[Requirement]:
    """Every applicable precondition, satisfied or not, fully described (for listings and the notice)."""
    found = (check(session=session, person=person, full=True) for check in list(_registry.values()))
    return [r for r in found if r is not None]


def first_unmet(*, session: Any, person: Any) -> Requirement | None:
    """The first precondition that does not hold, or None: the start path's question."""
    for check in list(_registry.values()):
        requirement = check(session=session, person=person, full=False)
        if requirement is not None and not requirement.satisfied:
            return requirement
    return None
