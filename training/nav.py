"""Menu entries for training (the strings live here so training's catalogue translates them)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if "learner" in roles or hasattr(user, "public_learner"):
        items.append((reverse("training:dashboard"), _("My training")))
    if roles & {"platform_admin", "bureau_official", "enterprise_admin", "training_admin"}:
        items.append((reverse("training:enterprise_dashboard"), _("Training progress")))
    if roles & {"platform_admin", "training_admin", "enterprise_admin"}:
        items.append((reverse("training:manage_courses"), _("Course builder")))
    if roles & {"platform_admin", "training_admin", "enterprise_admin", "bureau_official"}:
        items.append((reverse("training:library"), _("Lesson-plan library")))
    return items
