"""Menu entries of the tenancy: home, enterprises and roster first; the person's profile and administration last."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = [(reverse("home"), _("Home"))]
    if roles & {"platform_admin", "bureau_official", "training_admin", "proctor"}:
        items.append((reverse("organizations:enterprise_list"), _("Enterprises")))
    if roles & {"platform_admin", "enterprise_admin"}:
        items.append((reverse("organizations:roster"), _("Roster")))
    return items


def personal_nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if "learner" in roles:
        items.append((reverse("organizations:my_profile"), _("My profile")))
    if "platform_admin" in roles:
        items.append((reverse("admin:index"), _("Administration")))
    return items
