"""Password reset by phone (手机号找回密码): a six-digit code by SMS, then a new password.

Workers imported from a roster sign in by phone and have no email address, so
allauth's email reset cannot reach them. The web page and the token API both
call these two functions, which hold every rule:

- **The same limits as sign-in.** Each request to send a code spends allauth's
  ``login`` rate limit for the address (``ACCOUNT_RATE_LIMITS``); each wrong
  code spends ``login_failed`` for the address and for the phone number, so
  guessing codes is as slow as guessing passwords. On top of that a number
  gets at most one code a minute and five an hour (each is a text message
  somebody pays for, and a stream of them is harassment).
- **No account enumeration.** A number that belongs to no active account gets
  the same answer and sends nothing.
- **One code, short-lived, one use.** The code is kept only as an HMAC, for
  ``PHONE_RESET_CODE_MINUTES``; five wrong tries burn it; the reset uses it up.
- **A reset ends what the old password opened**: the account's API tokens are
  deleted, and the forced-change obligation is met (``AccountAdapter.set_password``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.adapter import normalize_phone
from accounts.models import User, mainland_mobile
from accounts.sms import DisabledBackend, SmsNotSent, send_sms
from core.errors import ServiceError
from core.ratelimit import counter_hit, window_hit

MAX_WRONG_CODES = 5
CODES_PER_MINUTE = 1
CODES_PER_HOUR = 5


class PhoneResetRefused(ServiceError):
    status = 400

    def __init__(self, message: str, *, code: str, status: int = 400, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code
        self.status = status


def _too_fast(retry_after: int) -> PhoneResetRefused:
    return PhoneResetRefused(
        _("Too many attempts. Try again in %(seconds)s seconds.") % {"seconds": retry_after},
        code="rate_limited",
        status=429,
        retry_after=retry_after,
    )


def _valid_phone(phone: str) -> str:
    phone = normalize_phone(phone)
    try:
        mainland_mobile(phone)
    except ValidationError:
        raise PhoneResetRefused(
            _("Enter an 11-digit mainland mobile number starting with 1."), code="invalid_phone", field="phone"
        ) from None
    return phone


def _key(phone: str, part: str) -> str:
    # The number itself never becomes a cache key (keys show up in monitoring).
    return f"accounts:phone-reset:{part}:{hashlib.sha256(phone.encode()).hexdigest()[:32]}"


def _code_digest(phone: str, code: str) -> str:
    return salted_hmac("accounts.phone_reset", f"{phone}:{code}").hexdigest()


def code_minutes() -> int:
    return int(settings.PHONE_RESET_CODE_MINUTES)


def sms_available() -> bool:
    """Whether codes can be sent at all (a deployment without a gateway says so up front, to everyone)."""
    return import_string(settings.SMS_BACKEND) is not DisabledBackend


def reset_code_send(*, request: HttpRequest, phone: str) -> None:
    """Text a reset code to ``phone`` if an active account has it; the same answer either way."""
    phone = _valid_phone(phone)
    if not sms_available():
        raise PhoneResetRefused(
            _("Text messages are not set up on this platform. Ask your enterprise admin to reset your password."),
            code="sms_unavailable",
            status=503,
        )
    if not ratelimit.consume(request, action="login"):
        raise _too_fast(60)
    wait = window_hit(_key(phone, "minute"), limit=CODES_PER_MINUTE, period=60) or window_hit(
        _key(phone, "hour"), limit=CODES_PER_HOUR, period=3600
    )
    if wait:
        raise _too_fast(wait)
    user = User.objects.filter(phone=phone, is_active=True).first()
    if user is None:
        return
    code = f"{secrets.randbelow(10**6):06d}"
    timeout = code_minutes() * 60
    cache.set(
        _key(phone, "code"),
        {"user": user.pk, "digest": _code_digest(phone, code), "expires": time.time() + timeout},
        timeout=timeout,
    )
    cache.delete(_key(phone, "wrong"))
    try:
        send_sms(
            phone=phone,
            template="verification_code",
            params={"code": code, "minutes": str(code_minutes()), "purpose": _("resetting your password")},
        )
    except SmsNotSent as error:
        cache.delete(_key(phone, "code"))
        raise PhoneResetRefused(str(error), code="sms_not_sent", status=503) from error


def _wrong_code(request: HttpRequest, phone: str, entry: dict[str, Any] | None) -> PhoneResetRefused:
    ratelimit.consume(request, action="login_failed", key=phone)
    if entry is not None:
        remaining = max(1, int(entry["expires"] - time.time()))
        if counter_hit(_key(phone, "wrong"), timeout=remaining) >= MAX_WRONG_CODES:
            cache.delete(_key(phone, "code"))
    return PhoneResetRefused(
        _(
            "The code is not right, or it has expired. Check the text message and try again; "
            "after five wrong tries, ask for a new code."
        ),
        code="code_invalid",
        field="code",
    )


def password_reset_by_phone(*, request: HttpRequest, phone: str, code: str, password: str) -> User:
    """Set a new password for the account the code was sent for; refuses a wrong, spent or expired code."""
    phone = _valid_phone(phone)
    if not ratelimit.consume(request, action="login_failed", key=phone, dry_run=True):
        raise _too_fast(300)
    entry = cache.get(_key(phone, "code"))
    code = (code or "").strip()
    if entry is None or not constant_time_compare(entry["digest"], _code_digest(phone, code)):
        raise _wrong_code(request, phone, entry)
    user = User.objects.filter(pk=entry["user"], phone=phone, is_active=True).first()
    if user is None:  # the account was deactivated or its number changed since the code was sent
        cache.delete(_key(phone, "code"))
        raise _wrong_code(request, phone, None)
    try:
        validate_password(password, user)
    except ValidationError as error:
        # The code stays valid: a weak password is not a wrong guess.
        raise PhoneResetRefused(" ".join(error.messages), code="password_invalid", field="password") from None
    with transaction.atomic():
        get_adapter(request).set_password(user, password)
        Token.objects.filter(user=user).delete()
    cache.delete_many([_key(phone, "code"), _key(phone, "wrong")])
    ratelimit.clear(request, action="login_failed", key=phone)
    return user
