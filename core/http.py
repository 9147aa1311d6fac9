"""Small HTTP helpers every app may use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.errors import ServiceError

_View = Callable[..., Any]
_Response = TypeVar("_Response", bound=HttpResponse)


def no_store(response: _Response) -> _Response:
    """Never cached anywhere (browser, proxy, back button): for pages and files that show personal data."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private, max-age=0"
    return response


def wants_json(request: HttpRequest) -> bool:
    """The page's script asked for JSON (``Accept: application/json``) rather than a page to render."""
    return "application/json" in request.headers.get("Accept", "")


@contextmanager
def refusal_message(request: HttpRequest, refusal: type[ServiceError] = ServiceError) -> Iterator[None]:
    """For a page that acts and redirects: a ``refusal`` raised in the block becomes an error message
    (the rest of the block is skipped, the exception goes no further)."""
    try:
        yield
    except refusal as exc:
        messages.error(request, exc.message)


@contextmanager
def refusal_on_form(
    form: Any, refusal: type[ServiceError] = ServiceError, place: Callable[[Any, Any], None] | None = None
) -> Iterator[None]:
    """For a form page: a ``refusal`` raised in the block goes on the form, by ``place(form, exc)`` (fields
    named in its details) or else as an error of the whole form; the block stops there and the page is shown again."""
    try:
        yield
    except refusal as exc:
        if place is None:
            form.add_error(None, exc.message)
        else:
            place(form, exc)


def page_of(request: HttpRequest, items: Any, per_page: int) -> tuple[Page, str]:
    """The page of ``items`` the query asks for (``?page=``), and the rest of the query for the pager's links."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def safe_next(request: HttpRequest, default: str, *, field: str = "next") -> str:
    """The ``next`` URL from the POST body (else the query) when it stays on this site, else ``default``.

    Refused: other hosts (``https://evil.example``, ``//evil.example``,
    ``\\\\evil.example``, ``/\\evil.example``), other schemes (``javascript:``,
    ``data:``), bare words (``foo``, ``account_logout``: see ``is_safe_url``),
    and plain http when the request came over https.
    """
    value = request.POST.get(field) if request.method == "POST" and field in request.POST else request.GET.get(field)
    if value and is_safe_url(request, value):
        return value
    return default


def is_safe_url(request: HttpRequest, url: str) -> bool:
    """On this site, and a path from the root or a full http(s) URL: never a bare word.

    A bare word (``foo``, ``account_logout``) is a relative URL to the browser
    but a URL *name* to ``django.shortcuts.redirect``; it is refused, so the
    value is never ambiguous. Redirect with ``HttpResponseRedirect`` anyway.
    """
    if not (url.startswith("/") or urlsplit(url).scheme in ("http", "https")):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())


def csp_replace_everywhere(directives: dict[str, list[str]]) -> Callable[[_View], _View]:
    """Replace some CSP directives for one view, in the enforced and the report-only policy alike."""

    def decorator(view: _View) -> _View:
        return csp_replace(directives)(csp_replace(directives, REPORT_ONLY=True)(view))

    return decorator


class FileGone(Http404):
    """A row names a file that storage no longer holds (the API answers it with code ``file_gone``)."""


def stored_file(field_file: FieldFile) -> Any:
    """``field_file`` opened for reading, or a 404 when the row names a file that storage no longer holds
    (purged, restored from a backup without its media, or a host that does not share the private storage)."""
    try:
        return field_file.open("rb")
    except FileNotFoundError:
        raise FileGone(_("The file is no longer stored.")) from None


def file_is_stored(field_file: FieldFile) -> bool:
    """Whether storage still holds the file a row names (``stored_file`` would open it), for a page that
    says so instead of showing what cannot load. False for an empty field."""
    return bool(field_file) and field_file.storage.exists(field_file.name)
