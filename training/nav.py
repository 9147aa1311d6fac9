"""Menu entries for training pages beyond the dashboards (the strings live here so training's catalogue translates them)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if roles & {"platform_admin", "training_admin", "enterprise_admin"}:
        items.append((reverse("training:manage_courses"), _("Course builder")))
    return items
