"""All of allauth's behaviour that we customise, in one adapter."""

from __future__ import annotations

import re
import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User

# Mainland mobile numbers as people type them: 13912345678, 139 1234 5678,
# +86 139-1234-5678. Stored as the bare 11 digits (User.phone).
_MAINLAND_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def normalize_phone(value: str) -> str:
    compact = re.sub(r"[\s()-]", "", value or "")
    match = _MAINLAND_MOBILE.match(compact)
    return match.group(1) if match else compact


class MainlandPhoneField(PhoneField):
    # allauth's default field insists on E.164 (+86…); nobody types that here.
    mainland_validator = RegexValidator(
        regex=r"^1[3-9]\d{9}$",
        message=_("Enter an 11-digit mainland mobile number starting with 1."),
        code="invalid_phone",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [self.mainland_validator])
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> str:
        return normalize_phone(super().to_python(value))


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        from django.conf import settings

        return settings.ACCOUNT_ALLOW_SIGNUPS

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # A bureau official sent to the mandatory TOTP set-up right after signing
        # in would otherwise type the password twice in a row. While no
        # authenticator exists there is nothing to protect yet, so a sign-in
        # within the reauthentication timeout is enough; removing or replacing
        # an authenticator still asks again.
        if app == "allauth.mfa" and self._signed_in_recently() and not self._has_authenticator():
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def _signed_in_recently(self) -> bool:
        from allauth.account import app_settings
        from allauth.account.internal.flows.login import get_authentication_records

        request = self.request
        user = getattr(request, "user", None)
        if request is None or user is None or not user.is_authenticated:
            return False
        records = get_authentication_records(request, user)
        return bool(records) and time.time() - records[-1].get("at", 0) < app_settings.REAUTHENTICATION_TIMEOUT

    def _has_authenticator(self) -> bool:
        from allauth.mfa.models import Authenticator

        return Authenticator.objects.filter(user=self.request.user).exists()

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits key on the same address as axes and the token
        # throttle: X-Forwarded-For only from a configured proxy.
        from accounts.network import client_ip

        return client_ip(request) or super().get_client_ip(request)

    def set_password(self, user: Any, password: str) -> None:
        # Any password change or reset satisfies the forced-change obligation.
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])

    # --- phone numbers live on User.phone --------------------------------------
    def set_phone(self, user: Any, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: Any) -> tuple[str, bool] | None:
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user: Any, phone: str) -> None:
        User.objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)

    def phone_form_field(self, **kwargs: Any) -> Any:
        return MainlandPhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_phone(phone)

    def get_user_by_phone(self, phone: str) -> User | None:
        return User.objects.filter(phone=normalize_phone(phone), is_active=True).first()

    def send_verification_code_sms(self, user: Any, phone: str, code: str, **kwargs: Any) -> None:
        # Through the one SMS backend (accounts.sms); the code itself is a secret and is never logged.
        from accounts.sms import send_sms

        send_sms(
            phone=phone,
            template="verification_code",
            params={"code": code, "minutes": "15", "purpose": str(_("verifying your phone number"))},
        )
