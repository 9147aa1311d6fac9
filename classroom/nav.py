"""Menu entries for classroom training (the strings live here so classroom's catalogue translates them)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if roles & {"platform_admin", "training_admin", "enterprise_admin"}:
        items.append((reverse("classroom:list"), _("Classroom training")))
    if "learner" in roles:
        items.append((reverse("classroom:mine"), _("My classes")))
    return items
