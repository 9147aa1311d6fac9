from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings

from accounts.models import User


def user_has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_needs_mfa_enrolment(user: User) -> bool:
    from organizations.selectors import roles_of

    required = set(settings.MFA_REQUIRED_ROLES)
    if not required or not (roles_of(user) & required):
        return False
    return not user_has_totp(user)
