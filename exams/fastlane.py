"""The examinee's three hot API calls, served without Django's per-request machinery.

When a class of 2,000 sits an exam, every phone calls start once, autosave on
every answer and submit once (bench/bench_exam.py). Through Django's ASGI
handler each of those requests got a thread of its own, a new database wrapper
with a pool checkout and return, twelve middlewares, and DRF's request,
negotiation and authentication objects. That was about two thirds of an
autosave's server CPU (docs/PERFORMANCE.md).

This door serves exactly those three routes, as resolved by Django's own
URLconf, for token clients (the mobile and mini-program API). It calls the same
functions as the DRF views (``exams.api.start_reply``, ``save_reply`` and
``submit_reply``). They run in a few threads of its own, and each thread keeps
its database connection. The response headers come from the same middlewares
(``SecurityMiddleware``, ``CSPMiddleware``, ``XFrameOptionsMiddleware``) and the same
``ASGIHandler.send_response``.

Everything else goes to Django unchanged, and so does every request on which
the two doors could differ:
- no ``Authorization: Token …`` header, a bad or inactive token, or a session
  cookie (``AccountObligationsMiddleware`` acts on the session's user);
- a body that is not JSON or is over 64 KiB, or an ``Accept`` header that asks
  for HTML or for something other than JSON;
- a host outside ``ALLOWED_HOSTS``, or plain HTTP under ``SECURE_SSL_REDIRECT``;
- a 404 or a validation error (DRF's exception handler words those), or any
  exception.

Handing a request over after its call ran is safe: the handlers raise before
they write, and all three calls give the same answer when repeated (a save is
acknowledged as a replay, a second start resumes, a second submit returns the
first result).

If ``settings.MIDDLEWARE`` is not the list this door was checked against, the
door stays shut and says so once in the log: a new middleware is never
bypassed. ``tests/exams/test_fastlane.py`` sends the same requests through
both doors and compares status, headers, body and database state.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from rest_framework import exceptions as drf_exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from exams import api
from organizations.authentication import TokenAuthentication

logger = logging.getLogger(__name__)

# The middlewares whose effect on these routes this door reproduces. For a token
# request without a session cookie, the others leave a DRF JSON response as it is:
# they only act on sessions, CSRF cookies, static files, messages or redirects.
CHECKED_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.AccountObligationsMiddleware",
    "core.middleware.ApiJsonErrorsMiddleware",
    # Acts only on a request on which authenticate() refused a locked account; these routes never call it.
    "axes.middleware.AxesMiddleware",
)
MAX_BODY = 64 * 1024
JSON_TYPES = {"application/json", "application/*", "*/*"}


@dataclass(frozen=True)
class Route:
    call: Callable[..., api.Reply]  # (user, parsed body, **URL arguments)
    reads_body: bool


ROUTES = {
    # The start reads {"confirm_notice": true}; its refusals (notice, identity check) are Replies like any other.
    (api.AttemptStartView, "POST"): Route(
        lambda user, body, session_id: api.start_reply(user, session_id, body), reads_body=True
    ),
    (api.AnswerView, "PUT"): Route(
        lambda user, body, attempt_id, question_id: api.save_reply(user, attempt_id, question_id, body),
        reads_body=True,
    ),
    (api.SubmitView, "POST"): Route(
        lambda user, body, attempt_id: api.submit_reply(user, attempt_id, body), reads_body=True
    ),
}


class HandOver(Exception):
    """This request is Django's to answer."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # DRF's strict JSON refuses NaN and Infinity too


def _allowed_methods(view: type[Any]) -> str:
    # As APIView.allowed_methods after View.setup(), which adds HEAD where there is GET.
    return ", ".join(
        m.upper() for m in view.http_method_names if hasattr(view, m) or (m == "head" and hasattr(view, "get"))
    )


def _accepts_json(accept: str) -> bool:
    if not accept:
        return True
    types = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if any(p.lower().startswith("indent") for p in params):
            return False  # DRF would indent the JSON
        types.append(media.lower())
    return not any("html" in t for t in types) and any(t in JSON_TYPES for t in types)


def lane_threads(requested: int, database: dict[str, Any]) -> int:
    """How many lane threads a process runs: at most half of a connection pool, which they hold for good."""
    pool = (database.get("OPTIONS") or {}).get("pool")
    if not pool:
        return requested
    size = (pool.get("max_size") or pool.get("min_size")) if isinstance(pool, dict) else None
    cap = (size or 4) // 2  # psycopg's pool holds 4 connections unless told otherwise; a pool of 1 shuts the lane
    if requested > cap:
        logger.warning("Exam fast lane: %d threads, not %d, for a pool of %d connections.", cap, requested, size or 4)
    return min(requested, cap)


class ExamFastLane:
    """ASGI middleware: serve start, autosave and submit for token clients; pass everything else to ``app``."""

    def __init__(self, app: Any, threads: int, *, django_app: Any) -> None:
        self.app = app
        self.django_app = django_app  # the ASGIHandler: its request class and send_response
        self.threads = threads
        self.open = threads > 0 and self._checked()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.served = 0  # requests answered here, not by Django (the tests check it)
        self._spawned = 0
        self._security = SecurityMiddleware(lambda request: HttpResponse())
        self._xframe = XFrameOptionsMiddleware(lambda request: HttpResponse())
        self._csp = CSPMiddleware(lambda request: HttpResponse())
        self._allow = {key: _allowed_methods(key[0]) for key in ROUTES}

    @staticmethod
    def _checked() -> bool:
        """Whether Django would treat these routes as this door does: same middlewares, same DRF policies."""
        if tuple(settings.MIDDLEWARE) != CHECKED_MIDDLEWARE or settings.DISALLOWED_USER_AGENTS:
            logger.warning("Exam fast lane off: MIDDLEWARE is not the list it was checked against.")
            return False
        for view, _method in ROUTES:
            if (
                list(view.permission_classes) != [IsAuthenticated]
                or view.throttle_classes
                or not view.authentication_classes
                or view.authentication_classes[0] is not TokenAuthentication
                or view.versioning_class is not None
            ):
                logger.warning("Exam fast lane off: %s has other API policies than it was checked against.", view)
                return False
        return True

    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._spawned = 0
            self._executor = ThreadPoolExecutor(
                max_workers=self.threads, thread_name_prefix="exam-fastlane", initializer=self._count_thread
            )
        return self._executor

    def _count_thread(self) -> None:
        with self._lock:
            self._spawned += 1

    def close(self) -> None:
        """Close every thread's database connection and stop the threads (tests, shutdown)."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        if self._spawned == 0:
            executor.shutdown(wait=True)
            return
        # One task per thread: each waits at the barrier, so no thread runs two.
        barrier = threading.Barrier(self._spawned)

        def close_own() -> None:
            connection.close()
            barrier.wait(timeout=30)

        for future in [executor.submit(close_own) for _ in range(self._spawned)]:
            future.result()
        executor.shutdown(wait=True)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self.open or scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        if not any(name == b"authorization" for name, _value in scope.get("headers", ())):
            await self.app(scope, receive, send)  # a browser's session: Django's, with its CSRF check
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more and size <= MAX_BODY:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
        body = b"".join(chunks)
        response = None
        if not more and size <= MAX_BODY:
            try:
                response = await sync_to_async(self._serve, thread_sensitive=False, executor=self.executor())(
                    scope, body
                )
            except HandOver:
                response = None
            except Exception as exc:  # a request this door did not foresee (an unknown charset, say)
                logger.warning("Exam fast lane handed a request to Django after %s", type(exc).__name__)
                response = None
        if response is None:
            await self.app(scope, _replay(body, more, receive), send)
            return
        self.served += 1
        await self.django_app.send_response(response, send)

    def _serve(self, scope: dict[str, Any], body: bytes) -> HttpResponse:
        """In a fast-lane thread: the response Django would give, or ``HandOver``."""
        request = ASGIRequest(scope, io.BytesIO(body))
        try:
            request.get_host()
        except DisallowedHost:
            raise HandOver from None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            raise HandOver
        if self._security.process_request(request) is not None:  # the HTTPS redirect
            raise HandOver
        if not _accepts_json(request.headers.get("Accept", "")):
            raise HandOver
        try:
            match = resolve(request.path_info)
        except Resolver404:
            raise HandOver from None
        key = (getattr(match.func, "view_class", None), request.method)
        route = ROUTES.get(key)
        if route is None:
            raise HandOver
        data: Any = {}
        # request.body, not the bytes received: like Django, read what Content-Length announces.
        if route.reads_body and request.body:
            if request.content_type != "application/json":
                raise HandOver
            try:
                data = json.loads(request.body.decode(request.encoding or "utf-8"), parse_constant=_no_constant)
            except ValueError:
                raise HandOver from None
        language = translation.get_language_from_request(request)
        translation.activate(language)
        try:
            # DRF's own parsing of the header: None for another scheme, AuthenticationFailed for a bad token.
            credentials = TokenAuthentication().authenticate(request)
            if credentials is None:
                raise HandOver
            reply = route.call(credentials[0], data, **match.kwargs)
            content = JSONRenderer().render(reply.data)
        except (HandOver, Http404, drf_exceptions.APIException):
            raise HandOver from None
        except Exception as exc:
            # Django answers it again, and logs it if it fails there too. No message or
            # arguments here: they could hold an answer or a token.
            logger.warning("Exam fast lane handed %s to Django after %s", match.url_name, type(exc).__name__)
            raise HandOver from None
        finally:
            translation.deactivate()
            if connection.errors_occurred or connection.in_atomic_block:
                connection.close()
        response = HttpResponse(content, status=reply.status, content_type="application/json")
        response["Allow"] = self._allow[key]
        patch_vary_headers(response, ("Accept", "Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        response = self._xframe.process_response(request, response)
        response = self._csp.process_response(request, response)
        response = self._security.process_response(request, response)
        response["Content-Length"] = str(len(response.content))
        return response


def _replay(body: bytes, more: bool, receive: Any) -> Any:
    """A ``receive`` that gives the body read so far first, then the client's own."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay
