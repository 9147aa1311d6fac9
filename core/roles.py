"""Which roles a user holds: asked by the login layer (accounts), answered by the tenancy (organizations).

``accounts`` sits below ``organizations`` and may not import it, yet its rules
(MFA enrolment for ``MFA_REQUIRED_ROLES``) depend on the roles a user holds.
``organizations`` registers its ``roles_of`` here in ``AppConfig.ready()``;
with nothing registered a user holds no role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RolesOf = Callable[[Any], set[str]]

_source: list[RolesOf] = []


def register(roles_of: RolesOf) -> None:
    """Register (or replace) the function that answers a user's roles; call from ``AppConfig.ready()``."""
    _source[:] = [roles_of]


def roles_of(user: Any) -> set[str]:
    """The role names ``user`` holds (empty when no app answers)."""
    return _source[0](user) if _source else set()
