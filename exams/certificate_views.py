"""Certificate pages for everyone: the public lookup (证书查询) and a learner's own certificates (我的证书)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from accounts.network import client_ip
from exams import certificates, selectors
from exams.forms import CertificateLookupForm
from exams.models import Certificate
from exams.routes import pages
from exams.services.certificate_lookup import (
    CertificateNotFound,
    TooManyLookups,
    certificate_issuer,
    certificate_lookup,
)
from organizations.selectors import person_of


@pages.route("certificates/lookup/", name="certificate_lookup", methods=("GET", "POST"), login=False)
def certificate_lookup_page(request: HttpRequest) -> HttpResponse:
    """Public: type the number and the holder's name, see valid / expired / revoked.

    POST, so the name stays out of addresses, histories and access logs; a
    ``?number=`` pre-fills the form.
    """
    initial = {"number": request.GET.get("number", "")[:64]}
    form = CertificateLookupForm(request.POST if request.method == "POST" else None, initial=initial)
    context: dict[str, Any] = {"form": form, "result": None, "refusal": None}
    status, retry_after = 200, None
    if form.is_bound and form.is_valid():
        try:
            found = certificate_lookup(
                number=form.cleaned_data["number"], name=form.cleaned_data["name"], client=client_ip(request)
            )
        except CertificateNotFound as exc:
            context["refusal"] = exc
        except TooManyLookups as exc:
            context["refusal"] = exc
            status, retry_after = exc.status, exc.details["retry_after"]
        else:
            # The full name is not shown back once found (the result has it masked); a refused form keeps
            # what was typed, to correct a typo.
            context["result"] = found
            context["form"] = CertificateLookupForm(initial={"number": found.number})
    response = render(request, "exams/certificate_lookup.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)
    return response


def _row(request: HttpRequest, certificate: Certificate, today: dt.date) -> dict[str, Any]:
    url = request.build_absolute_uri(certificates.verify_path(certificate))
    state = certificate.state(today)
    days_left = (certificate.valid_until - today).days
    return {
        "certificate": certificate,
        "state": state,
        "state_label": certificate.state_label(today),
        "issuer": certificate_issuer(certificate),
        "expiring_soon": state == "valid" and days_left <= settings.EXAMS_CERTIFICATE_REMINDER_DAYS,
        "days_left": days_left,
        # A PDF is the platform's own certificate; an imported one was printed by its issuer.
        "pdf": not certificate.imported,
        "verify_url": url,
        "qr_svg": certificates.qr_svg(url),
    }


@pages.get("certificates/", name="my_certificates")
def my_certificates(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own certificates, each with download, share and its verification QR code."""
    person = person_of(request.user)
    today = timezone.localdate()
    held = selectors.certificates_visible_to(request.user).filter(holder=person) if person else []
    rows = [_row(request, certificate, today) for certificate in held]
    response = render(request, "exams/my_certificates.html", {"rows": rows, "has_person": person is not None})
    add_never_cache_headers(response)
    return response
