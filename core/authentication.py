"""The API's session authentication and the refusal every token door raises.

The token authentication itself reads the user's roster entry in the same
query, so it sits where the roster is: ``organizations.authentication``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions


class TokenRefused(exceptions.AuthenticationFailed):
    """A valid token whose user must first do something on the website.

    403, not 401: the credentials are right, asking again with them will not help.
    The body carries ``code`` beside ``detail`` (``password_change_required``,
    ``mfa_enrolment_required``). A subclass of AuthenticationFailed, so a caller
    that catches that (the websocket's token middleware) refuses it too.
    """

    status_code = 403

    def __init__(self, *, code: str, message: str) -> None:
        super().__init__({"detail": message, "code": code}, code=code)
        self.refusal_code = code
        self.message = message


# Django's CSRF reasons (django.middleware.csrf.REASON_*) are English only; DRF puts them after "CSRF Failed: ".
CSRF_REASONS = {
    "CSRF token missing.": _("The CSRF token is missing."),
    "CSRF cookie not set.": _("The CSRF cookie is not set."),
}


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, with its CSRF refusal in the user's language."""

    def enforce_csrf(self, request: Any) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            reason = str(exc.detail).removeprefix("CSRF Failed: ")
            raise exceptions.PermissionDenied(
                _("CSRF check failed: %(reason)s Reload the page and try again.")
                % {"reason": CSRF_REASONS.get(reason, _("The request did not carry a valid CSRF token."))}
            ) from None


class SessionAuthenticationScheme(SessionScheme):
    """The schema's ``cookieAuth`` for our SessionAuthentication, as drf-spectacular gives DRF's."""

    target_class = "core.authentication.SessionAuthentication"
