"""Per-account lockout after repeated failed sign-ins (django-axes), as the user meets it.

Axes counts failures per account on every door that calls ``authenticate()``
with the request: allauth's login form (the Django admin sends people there)
and the token endpoint. These are the callables its settings name.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.adapter import normalize_phone
from accounts.models import User

_MEMO = "_lockout_account_keys"


def _login_typed(request: HttpRequest | None, credentials: dict[str, Any] | None) -> tuple[str, str] | None:
    """(method, what was typed): from the credentials given to authenticate(), else from the form."""
    credentials = credentials or {}
    for method in ("phone", "email", "username"):
        value = credentials.get(method)
        if value:
            return method, str(value)
    if request is not None:
        for field in ("login", "username"):  # allauth's form, the token endpoint
            value = request.POST.get(field)
            if value:
                return "login", value
    return None


def _account(method: str, login: str) -> User | None:
    """The account allauth's backends would try for this login: by the method first, then the others.

    The token endpoint's "username" may be an email address too (allauth's backend
    accepts one there), so every name is tried as username, email and phone.
    """
    from allauth.account.models import EmailAddress

    login = login.strip()
    users = User.objects.all()
    by_username = Q(username__iexact=login)
    by_email = Q(email__iexact=login) | Q(pk__in=EmailAddress.objects.filter(email__iexact=login).values("user"))
    by_phone = Q(phone=normalize_phone(login))
    order = {"phone": (by_phone,), "email": (by_email,), "username": (by_username,)}.get(method, ())
    for condition in (*order, by_username, by_email if "@" in login else None, by_phone):
        if condition is None:
            continue
        user = users.filter(condition).first()
        if user is not None:
            return user
    return None


def account_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account a username, email or phone names.

    The phone number, the email address and any spelling of the username all
    count towards the one account. What names no account is counted as typed
    (lower case), so an unknown name is locked like a known one.
    """
    typed = _login_typed(request, credentials)
    if typed is None:
        return None
    memo = getattr(request, _MEMO, None) if request is not None else None
    if memo is not None and typed in memo:
        return memo[typed]
    user = _account(*typed)
    key = user.get_username() if user is not None else typed[1].strip().lower()
    if request is not None:
        if memo is None:
            memo = {}
            setattr(request, _MEMO, memo)
        memo[typed] = key
    return key


def locked_until(*, username: str, request: HttpRequest | None = None) -> datetime | None:
    """When the lock on this account ends, or None if it is not locked.

    The lock holds while the failures recorded within the cool-off reach the
    limit; the records drop out oldest first.
    """
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    limit = get_failure_limit(request, {"username": username})
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=timezone.now() - cool_off)
    seen = 0
    for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
        "attempt_time", "failures_since_start"
    ):
        seen += failures
        if seen >= limit:
            return attempt_time + cool_off
    return None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: JSON under /api/, a page otherwise; 429 with Retry-After."""
    if isinstance(original_response, dict):
        # AxesMiddleware's async path (the one daphne takes) passes (request, credentials).
        credentials, original_response = original_response, None
    if original_response is not None and getattr(original_response, "account_locked", False):
        return original_response  # the token endpoint answered already
    if credentials is None:
        credentials = getattr(request, "axes_credentials", None)
    username = account_key(request, credentials)
    until = (locked_until(username=username, request=request) if username else None) or (
        timezone.now() + (get_cool_off(request) or timezone.timedelta(minutes=15))
    )
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    shown = date_format(timezone.localtime(until), "H:i")
    message = _(
        "Too many failed sign-in attempts: this account is locked until %(time)s. "
        "Try again then, or ask a platform admin to unlock it."
    ) % {"time": shown}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": message,
                "code": "account_locked",
                "retry_after": seconds,
                "locked_until": until.isoformat(),
            },
            status=429,
            json_dumps_params={"ensure_ascii": False},  # UTF-8 like every other API answer, not \u escapes
        )
    else:
        response = render(
            request,
            "account/locked.html",
            {"message": message, "locked_until": until, "minutes": math.ceil(seconds / 60)},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    response.account_locked = True  # type: ignore[attr-defined]
    return response
