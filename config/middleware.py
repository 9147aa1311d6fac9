from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class ApiJsonErrorsMiddleware:
    """Under /api/, an unexpected exception or a missing route is JSON, not HTML."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/")
        ):
            detail = _("Not found.") if response.status_code == 404 else _("Method not allowed.")
            return JsonResponse({"detail": detail}, status=response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        logger.exception("Unhandled API error on %s", request.path)
        return JsonResponse({"detail": _("Internal server error. The error has been logged.")}, status=500)
