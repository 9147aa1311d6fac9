"""Menu entries for proctoring (the strings live here so proctoring's catalogue translates them)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if "learner" in roles:
        items.append((reverse("proctoring:my_face"), _("Face verification")))
    if roles & {"platform_admin", "proctor"}:
        items.append((reverse("proctoring:home"), _("Proctoring")))
    return items
