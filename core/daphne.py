"""Daphne hands every request body to Django untouched.

Daphne's requests are ``twisted.web`` requests, and twisted parses a POST's
``multipart/form-data`` body itself (into ``request.args``, which daphne never
reads). A body twisted cannot parse, such as an empty multipart
(``--b--\\r\\n``), was answered by twisted with a bare ``400 Bad Request``, no
headers and no body, before Django or the API saw it; and every photo upload
was parsed twice in memory. Django and DRF parse the body (and say what is
wrong with it in the API's error shape), so twisted's parsing is switched off
(``parsePOSTFormSubmission``, twisted ≥ 24.7).
"""

from __future__ import annotations

from typing import Any


def hand_bodies_to_django() -> None:
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server
        return
    if getattr(WebRequest, "_bodies_to_django", False):
        return
    original_init = WebRequest.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False

    WebRequest.__init__ = __init__  # type: ignore[method-assign]
    WebRequest._bodies_to_django = True  # type: ignore[attr-defined]
