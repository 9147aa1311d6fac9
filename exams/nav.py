"""Menu entries for exams (the strings live here so exams' catalogue translates them)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if "learner" in roles:
        items.append((reverse("exams:my_exams"), _("My exams")))
        items.append((reverse("exams:my_certificates"), _("My certificates")))
    if roles & {"platform_admin", "training_admin"}:
        items.append((reverse("exams:admin_home"), _("Exams")))
    if roles & {"platform_admin", "bureau_official", "proctor"}:
        items.append((reverse("exams:spot_new"), _("Spot test")))
    return items
