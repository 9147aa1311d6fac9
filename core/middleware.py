from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _bad_request() -> JsonResponse:
    detail = _("The request could not be read.")
    return JsonResponse({"detail": detail, "code": "bad_request", "errors": {"non_field_errors": [detail]}}, status=400)


class ApiJsonErrorsMiddleware:
    """Under /api/, an unexpected exception, a request Django refuses (400) or a missing route
    is JSON in the API's error shape (config/api.py), not HTML."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (400, 404, 405)
            and not response.get("Content-Type", "").startswith("application/")
        ):
            if response.status_code == 400:
                return _bad_request()
            if response.status_code == 404:
                return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
            return JsonResponse({"detail": _("Method not allowed."), "code": "method_not_allowed"}, status=405)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, BadRequest | SuspiciousOperation | MultiPartParserError):
            return _bad_request()
        logger.exception("Unhandled API error on %s", request.path)
        return JsonResponse({"detail": _("Internal server error. The error has been logged.")}, status=500)
