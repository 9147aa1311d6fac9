"""Menu entries of the tenancy: home, enterprises and roster first; the person's profile and administration last."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from organizations import selectors


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = [(reverse("home"), _("Home"))]
    if roles & {"platform_admin", "bureau_official", "training_admin", "proctor"}:
        items.append((reverse("organizations:enterprise_list"), _("Enterprises")))
    if "enterprise_admin" in roles and "platform_admin" not in roles:
        items += _staff_list_items(user)
    if roles & {"platform_admin", "enterprise_admin"}:
        items.append((reverse("organizations:roster"), _("Roster")))
    return items


def _staff_list_items(user: Any) -> list[tuple[str, str]]:
    """An enterprise admin's staff files: the staff list of the enterprise they manage, or the
    list of their enterprises when they manage several."""
    managed = selectors.enterprise_ids_managed_by(user)
    if not managed:
        return []
    if len(managed) == 1:
        url = reverse("organizations:enterprise_detail", args=[managed[0]])
    else:
        url = reverse("organizations:enterprise_list")
    return [(url, pgettext("person file", "Staff files"))]


def personal_nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if "learner" in roles:
        items.append((reverse("organizations:my_profile"), _("My profile")))
    if "platform_admin" in roles:
        items.append((reverse("admin:index"), _("Administration")))
    return items
