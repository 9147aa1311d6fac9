from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.selectors import roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu for the roles the user holds; later apps add their entries here."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": set()}
    roles = roles_of(user)
    items = [(reverse("home"), _("Home"))]
    if roles & {"platform_admin", "bureau_official", "training_admin", "proctor"}:
        items.append((reverse("organizations:enterprise_list"), _("Enterprises")))
    if roles & {"platform_admin", "enterprise_admin"}:
        items.append((reverse("organizations:roster"), _("Roster")))
    if "learner" in roles:
        items.append((reverse("organizations:my_profile"), _("My profile")))
    if "platform_admin" in roles:
        items.append((reverse("admin:index"), _("Administration")))
    return {"nav_items": items, "user_roles": roles}
