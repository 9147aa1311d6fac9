"""Small HTTP helpers every app may use."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str, *, field: str = "next") -> str:
    """The ``next`` URL from the POST body (else the query) when it stays on this site, else ``default``.

    Refused: other hosts (``https://evil.example``, ``//evil.example``,
    ``\\\\evil.example``, ``/\\evil.example``), other schemes (``javascript:``,
    ``data:``), and plain http when the request came over https.
    """
    value = request.POST.get(field) if request.method == "POST" and field in request.POST else request.GET.get(field)
    if value and is_safe_url(request, value):
        return value
    return default


def is_safe_url(request: HttpRequest, url: str) -> bool:
    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
