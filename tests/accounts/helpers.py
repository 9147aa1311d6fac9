"""TOTP enrolment and codes, through allauth's own helpers."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value


def enrol_totp(user: Any) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def wrong_code(secret: str) -> str:
    """A well-formed code from far outside the accepted time window."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    accepted = {format_hotp_value(hotp_value(secret, counter + i)) for i in range(-3, 4)}
    candidate = counter + 10_000
    while format_hotp_value(hotp_value(secret, candidate)) in accepted:
        candidate += 1
    return format_hotp_value(hotp_value(secret, candidate))
