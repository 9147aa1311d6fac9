from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import roles

# Set by organizations.authentication.TokenAuthentication from its one query: for the
# MFA_REQUIRED_ROLES it was read with, (holds a grant of one of them, has TOTP).
MFA_FACTS_ATTR = "_mfa_facts"
# The role a superuser holds without a grant (organizations' RoleGrant.Role.PLATFORM_ADMIN).
PLATFORM_ADMIN = "platform_admin"


@dataclass(frozen=True)
class MfaFacts:
    required_roles: tuple[str, ...]
    holds_required_grant: bool
    has_totp: bool


@dataclass(frozen=True)
class TokenRefusal:
    code: str
    message: str


def user_has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def required_mfa_roles() -> tuple[str, ...]:
    return tuple(sorted(set(settings.MFA_REQUIRED_ROLES)))


def user_needs_mfa_enrolment(user: User) -> bool:
    """Whether the user holds a role of ``MFA_REQUIRED_ROLES`` and has no TOTP yet.

    No query when the setting is empty or TokenAuthentication has read the
    answer with the token; otherwise the role grants (cached on the user for
    the views; ``core.roles.roles_of``, answered by organizations) and, for
    holders of such a role only, whether a TOTP exists.
    """
    required = required_mfa_roles()
    if not required:
        return False
    facts = getattr(user, MFA_FACTS_ATTR, None)
    if isinstance(facts, MfaFacts) and facts.required_roles == required:
        return not facts.has_totp and (
            facts.holds_required_grant
            or (user.is_superuser and PLATFORM_ADMIN in required)
            or ("learner" in required and hasattr(user, "person"))
        )
    if not (roles.roles_of(user) & set(required)):
        return False
    return not user_has_totp(user)


def token_refusal(*, user: User) -> TokenRefusal | None:
    """Why this user may neither get an API token nor use one, or None.

    The one rule for the token endpoint, TokenAuthentication (DRF views, the
    websocket) and the site's obligations middleware.
    """
    if user.must_change_password:
        return TokenRefusal(
            code="password_change_required",
            message=_("You must change your initial password on the website first."),
        )
    if user_needs_mfa_enrolment(user):
        return TokenRefusal(
            code="mfa_enrolment_required",
            message=_(
                "Your role requires two-factor authentication: set up an authenticator app on the website "
                "first, then ask for a token with the current code."
            ),
        )
    return None
