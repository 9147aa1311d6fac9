"""The learner's home as a to-do list: each feature app registers a section; the home page asks them all.

The home page lives in the tenancy (``organizations``), which may not import the
features whose to-dos it lists, so every app registers a provider in its
``AppConfig.ready()``::

    todo.providers.register("training.courses", home.todo_courses, position=todo.COURSES)

``provider(user=..., now=...)`` returns a ``Section`` for a user who learns in
that app (its ``items`` may be empty: nothing to do there today), or ``None``
when the app has nothing to say to this user (not a learner there). A provider
reads through its own app's selectors, scoped to ``user``. The page lists the
sections by ``position``, then by registration order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from core.registries import Positioned

# Where each section goes on the home page: what is due first, shortcuts last.
COURSES = 10
EXAMS = 20
CERTIFICATES = 30
PRACTICE = 40


@dataclass(frozen=True)
class Item:
    """One thing to do, reached in one tap."""

    title: str
    url: str  # where the one tap goes (the lesson player, the exam notice...)
    action: str  # the button's label
    lines: tuple[str, ...] = ()  # facts under the title: due date, time window, attempts left
    percent: int | None = None  # a progress bar when set
    badge: str = ""  # a short status, e.g. 已逾期
    tone: str = ""  # the badge's colour: "" (neutral), "warn", "bad" or "ok"


@dataclass(frozen=True)
class Section:
    key: str  # stable, for pages and tests: "courses", "exams", "certificates", "practice"
    title: str
    items: tuple[Item, ...] = ()
    link: tuple[str, str] | None = None  # (url, label): the app's full page, also offered when there is nothing to do
    todo: bool = True  # False for a shortcut (the last practice): it never makes the list "not empty"
    empty: str = (
        ""  # a staff desk's line when it has no item ("no exam is under way"); a learner's empty section is not shown
    )


@dataclass(frozen=True)
class Home:
    sections: tuple[Section, ...]

    @property
    def learner(self) -> bool:
        """Some app counts this user as one of its learners."""
        return bool(self.sections)

    @property
    def has_todo(self) -> bool:
        return any(section.items for section in self.sections if section.todo)

    @property
    def has_items(self) -> bool:
        return any(section.items for section in self.sections)


def desk_html(section: Section, *, request: Any) -> str:
    """A staff desk on the home page, drawn as a learner's to-do section (``home_section.html``), with
    ``section.empty`` when it has no item: for an app's ``core.fragments.HOME`` contributor (the proctor's
    sessions under way, the training admin's exams and classes)."""
    return render_to_string("home_section.html", {"section": section}, request=request)


Provider = Callable[..., Section | None]

# Register from ``AppConfig.ready()``: ``todo.providers.register(name, provider, position=...)``.
providers: Positioned[Provider] = Positioned()


def home_for(*, user: Any, now: dt.datetime | None = None) -> Home:
    """Every app's section for this user, in page order (apps with nothing to say left out)."""
    now = now or timezone.now()
    sections = (provider(user=user, now=now) for provider in providers)
    return Home(tuple(section for section in sections if section is not None))
