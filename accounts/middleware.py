"""Obligations a signed-in user must meet before using the site.

1. Imported accounts must change their initial password.
2. Members of the roles in ``settings.MFA_REQUIRED_ROLES`` must enrol TOTP.

The rule is ``accounts.selectors.token_refusal``, which API tokens obey too
(organizations.authentication). API requests get a JSON 403 instead of a redirect.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.selectors import token_refusal

_ALWAYS_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")


class AccountObligationsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._exempt(request.path):
            refusal = token_refusal(user=user)
            if refusal is not None:
                if refusal.code == "password_change_required":
                    page, message = (
                        "account_change_password",
                        _("You must change your initial password before continuing."),
                    )
                else:  # mfa_enrolment_required
                    page, message = (
                        "mfa_activate_totp",
                        _("Your role requires two-factor authentication: set up an authenticator app."),
                    )
                return self._block(request, page, message)
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith(_ALWAYS_ALLOWED_PREFIXES)

    @staticmethod
    def _block(request: HttpRequest, url_name: str, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "account_obligation"}, status=403)
        return redirect(reverse(url_name))
