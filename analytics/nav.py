"""Menu entry for the statistics pages (the string lives here so analytics' catalogue translates it)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

READERS = {"platform_admin", "bureau_official", "enterprise_admin"}


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    if roles & READERS:
        return [(reverse("analytics:overview"), _("Analytics"))]
    return []
