"""Menu entries for question banks and practice (the strings live here so question_bank's catalogue translates them)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    items = []
    if roles & {"platform_admin", "bureau_official", "training_admin"}:
        items.append((reverse("question_bank:bank_list"), _("Question banks")))
    if "learner" in roles:
        items.append((reverse("question_bank:practice_home"), _("Exam practice")))
    return items
