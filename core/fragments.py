"""Page slots: how a higher app (proctoring) adds to a lower app's (exams') pages without being imported.

Exams may not import the apps built on it (``lint-imports`` holds this). An app
registers a contributor for a named slot in its ``AppConfig.ready()``; the lower
app's view asks the slot, never the app. With nothing registered a slot is
empty and the page shows its plain form.

The slots and how their contributors are called:

``EXAM_PAGE``
    ``fragment(request=..., attempt=...) -> str``: HTML appended to the exam
    page (``exams/attempt.html``), e.g. proctoring's camera and tab-switch
    client. Return ``""`` when there is nothing to add. Return HTML that is
    already safe (``render_to_string``): a plain ``str`` is escaped.

``TRAINING_DASHBOARD``
    ``fragment(request=...) -> str``: HTML shown on the learner's assignments
    page (``training/dashboard.html``, 我的培训) above the assigned courses,
    e.g. classroom's invitations with their date and place. ``""`` when there
    is nothing to show.

``HOME``
    ``fragment(request=...) -> str``: HTML shown on the home page (``home.html``,
    in organizations) under the welcome, e.g. analytics' headline figures for a
    bureau official or an enterprise admin. ``""`` for a user it has nothing for.

``SESSION_ADMIN_LINKS``
    ``links(user=..., session_ids=[...]) -> SessionLinks``: what ``user`` may
    open about these exam sessions, for the exam admin pages (session list,
    statistics). Exams' templates read the values under the contributor's
    name, e.g. ``links.proctoring.policy_url``. Called once per page for all
    its sessions, so it must not query per session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

EXAM_PAGE = "exam_page"
HOME = "home"
SESSION_ADMIN_LINKS = "session_admin_links"
TRAINING_DASHBOARD = "training_dashboard"


@dataclass(frozen=True)
class SessionLinks:
    """One contributor's answer for ``SESSION_ADMIN_LINKS``."""

    sessions: dict[int, dict[str, Any]]  # per session id: values a row reads (URLs the user may open, flags)
    page: dict[str, Any] = field(default_factory=dict)  # page-wide values (e.g. a queue's URL)


Contributor = Callable[..., Any]  # str for EXAM_PAGE, HOME and TRAINING_DASHBOARD, SessionLinks for SESSION_ADMIN_LINKS

_registry: dict[str, dict[str, Contributor]] = {
    EXAM_PAGE: {},
    HOME: {},
    SESSION_ADMIN_LINKS: {},
    TRAINING_DASHBOARD: {},
}


def register(slot: str, name: str, contributor: Contributor) -> None:
    """Register (or replace) ``name``'s contributor to ``slot``; call from ``AppConfig.ready()``."""
    if slot not in _registry:
        raise ValueError(f"Unknown slot {slot!r}; the slots are {sorted(_registry)}.")
    _registry[slot][name] = contributor


def unregister(slot: str, name: str) -> None:
    _registry.get(slot, {}).pop(name, None)


def registered(slot: str) -> list[str]:
    return list(_registry.get(slot, {}))


def render(slot: str, *, request: HttpRequest, **context: Any) -> SafeString:
    """Every contributor's HTML for ``slot``, in registration order (plain strings escaped)."""
    parts = [contributor(request=request, **context) for contributor in list(_registry[slot].values())]
    return mark_safe("".join(str(conditional_escape(part)) for part in parts))  # noqa: S308 - each part escaped or safe


def session_admin_links(*, user: Any, session_ids: Iterable[int]) -> dict[str, SessionLinks]:
    """Each contributor's links for these sessions, by contributor name."""
    ids = list(session_ids)
    return {
        name: contributor(user=user, session_ids=ids)
        for name, contributor in list(_registry[SESSION_ADMIN_LINKS].items())
    }
