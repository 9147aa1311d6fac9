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
    if roles & {"platform_admin", "bureau_official", "training_admin"}:
        items.append((reverse("question_bank:bank_list"), _("Question banks")))
    if "learner" in roles:
        items.append((reverse("question_bank:practice_home"), _("Exam practice")))
    if "learner" in roles or hasattr(user, "public_learner"):
        items.append((reverse("training:dashboard"), _("My training")))
    if roles & {"platform_admin", "bureau_official", "enterprise_admin", "training_admin"}:
        items.append((reverse("training:enterprise_dashboard"), _("Training progress")))
    from training.nav import nav_items as training_nav_items

    items += training_nav_items(roles)
    from exams.nav import nav_items as exam_nav_items

    items += exam_nav_items(roles)
    from proctoring.nav import nav_items as proctoring_nav_items

    items += proctoring_nav_items(roles)
    if "learner" in roles:
        items.append((reverse("organizations:my_profile"), _("My profile")))
    if "platform_admin" in roles:
        items.append((reverse("admin:index"), _("Administration")))
    return {"nav_items": items, "user_roles": roles}
