"""All of allauth's behaviour that we customise, in one adapter."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from accounts.models import User

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        from django.conf import settings

        return settings.ACCOUNT_ALLOW_SIGNUPS

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

    def get_user_by_phone(self, phone: str) -> User | None:
        phone = (phone or "").strip().replace(" ", "").removeprefix("+86")
        return User.objects.filter(phone=phone, is_active=True).first()

    def send_verification_code_sms(self, user: Any, phone: str, code: str, **kwargs: Any) -> None:
        # No SMS gateway is configured in this deployment; the code itself is a
        # secret and is never logged.
        logger.warning("SMS gateway not configured; verification SMS for user %s not sent", user.pk)
