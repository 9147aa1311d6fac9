from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
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
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return None  # DatabaseUnavailableMiddleware answers 503
        logger.exception("Unhandled API error on %s", request.path)
        return JsonResponse({"detail": _("Internal server error. The error has been logged.")}, status=500)


# The database cannot be reached: down, restarting, failing over, a connection it dropped
# (psycopg's OperationalError and InterfaceError, wrapped by Django). Deadlocks and
# serialization failures are OperationalErrors too: retrying those is right as well.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# What the 503 asks clients to wait (Retry-After); exam.js retries a failed save every 3 s anyway.
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON under /api/ or for a client asking for JSON, a plain page otherwise.

    Touches neither the database nor the session: rendered without a request (like 500.html).
    """
    detail = _("The service is briefly unavailable. Please try again in a few seconds.")
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": detail, "code": "database_unavailable", "retry_after": DATABASE_RETRY_AFTER_SECONDS},
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("503.html", {"detail": detail}), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _mark_database_unavailable(sender: Any, request: HttpRequest | None = None, **_kwargs: Any) -> None:
    # Django turns an exception raised anywhere in the chain (a view, or a middleware reading
    # request.user) into a 500 at the layer where it happened, and says so only through this
    # signal, sent while the exception is being handled. The middleware below reads the mark.
    if request is not None and isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        request._database_unavailable = True  # type: ignore[attr-defined]


got_request_exception.connect(_mark_database_unavailable, dispatch_uid="core.middleware.database_unavailable")


class DatabaseUnavailableMiddleware:
    """Second outermost: a request that failed because the database could not be reached is a
    503 with Retry-After, not a 500, so that clients (exam.js autosave, the apps) retry it.

    The web process keeps running: Django closes a connection that failed, and the next
    request connects afresh (drill: tests/drills/test_postgres_restarted.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_database_unavailable", False):
            return database_unavailable(request)
        return response
