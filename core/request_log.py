"""One JSON line per HTTP request, for the operators' log collector (docs/OPERATIONS.md).

(Websockets write one line per connection on the same logger: ``core.sockets``.)

Each line carries the request id (the client's or proxy's ``X-Request-ID`` when it looks like
one, else a new one; returned in the response's ``X-Request-ID``), the user id, the route's
template (``api/v1/attempts/<id:attempt_id>/submit/``, never the filled-in path or query), the
method, status and duration, and on exam routes the attempt id. Nothing from bodies, query
strings or headers beyond that: no answers, faces, ID numbers, tokens or cookies.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

logger = logging.getLogger("safetrain.request")
REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's $request_id or a client's UUID looks like; anything else is replaced, so a
# forged header cannot write arbitrary text into the log.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# URL keywords whose value is logged as a field of its own.
_LOGGED_KWARGS = ("attempt_id",)


def request_id_from(given: str) -> str:
    """``given`` when it looks like a request id, else a new one."""
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def request_id_of(request: HttpRequest) -> str:
    return request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))


def log_line(record: dict[str, Any]) -> None:
    """Write one record as one JSON line on the request logger (the caller checked ``settings.REQUEST_LOG``)."""
    logger.info(json.dumps(record, ensure_ascii=False, separators=(",", ":")))


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except DatabaseError:  # the database could not be reached to load the user (a 503)
        return None


def request_record(request: HttpRequest, status: int, seconds: float) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    record: dict[str, Any] = {
        "time": timezone.now().isoformat(timespec="milliseconds"),
        "request_id": getattr(request, "request_id", ""),
        "method": request.method,
        "path": match.route if match is not None else "",
        "view": match.view_name if match is not None else "",
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "user_id": _user_id(request),
    }
    for name in _LOGGED_KWARGS:
        if match is not None and name in match.kwargs:
            record[name] = match.kwargs[name]
    return record


class RequestLogMiddleware:
    """Outermost: times the whole request and logs it after the response is built."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = settings.REQUEST_LOG

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request.request_id = request_id_of(request)  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
        if self.enabled:
            log_line(request_record(request, response.status_code, time.perf_counter() - started))
        return response
