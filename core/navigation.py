"""The site menu: each app registers its entries; the context processor asks them all.

The tenancy core may not import the features whose pages it would list, so
every app registers a function in its ``AppConfig.ready()``::

    navigation.register("exams", nav.nav_items, position=navigation.EXAMS)

``entries(user=..., roles=...)`` returns ``(url, label)`` pairs for a signed-in
user with these roles (``core.roles.roles_of``): an empty list when the app has
nothing for them. The menu lists every app's entries by ``position``, then by
registration order; the labels are translated where they are defined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from core import roles as core_roles
from core.registries import Positioned

Entries = Callable[..., list[tuple[str, str]]]

# Where each app's entries go in the menu: the tenancy's own first, personal pages and administration last.
ORGANIZATIONS = 10
QUESTION_BANK = 20
TRAINING = 30
EXAMS = 40
PROCTORING = 50
ANALYTICS = 60
PERSONAL = 90

_registry: Positioned[Entries] = Positioned()


def register(name: str, entries: Entries, *, position: int) -> None:
    """Register (or replace) ``name``'s menu entries at ``position``; call from ``AppConfig.ready()``."""
    _registry.register(name, entries, position=position)


def unregister(name: str) -> None:
    _registry.unregister(name)


def registered() -> list[str]:
    """The registered names in menu order."""
    return _registry.names()


def menu(user: Any, roles: set[str]) -> list[tuple[str, str]]:
    """Every app's entries for this user, in menu order."""
    items: list[tuple[str, str]] = []
    for entries in _registry:
        items += entries(user=user, roles=roles)
    return items


def ui_strings(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the strings app.js writes on every page, in the page's language
    (base.html hands them over with ``json_script``). A native file input says "Choose File /
    No file chosen" in the browser's language; app.js gives it these words instead."""
    return {
        "ui_strings": {
            "file_choose": _("Choose a file"),
            "file_none": _("No file chosen"),
            "file_many": _("{n} files chosen"),
        }
    }


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``nav_items`` (the menu) and ``user_roles`` for the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": set()}
    roles = core_roles.roles_of(user)
    return {"nav_items": menu(user, roles), "user_roles": roles}
