"""Public certificate lookup (证书查询): a certificate number AND its holder's name give the certificate's standing.

Both must match, so numbers can't be walked one by one; every lookup counts
against the asker's address (``EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE``), found
or not, so names can't be guessed for a known number either. The answer holds
nothing private: the name comes back masked (张*三), no ID number, no
enterprise, no photo. Platform-issued and imported certificates are found alike.
Every door (the page, the API) calls ``certificate_lookup``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ratelimit import window_hit
from exams.models import Certificate
from exams.services.errors import ExamError

NUMBER_MAX_LENGTH = Certificate._meta.get_field("number").max_length or 32
NAME_MAX_LENGTH = Certificate._meta.get_field("holder_name").max_length or 64
# Middle dots as people type them in names such as 买买提·艾力 (NFKC has already made "．" a ".").
_NAME_DOTS = re.compile(r"[·・•‧∙.]")


class CertificateNotFound(ExamError, code="certificate_not_found", status=404):
    """No certificate has this number with this holder's name (which of the two is wrong is not said)."""


class TooManyLookups(ExamError, code="too_many_lookups", status=429):
    """Over the per-address limit; ``retry_after`` (seconds) in ``details``."""


@dataclass(frozen=True)
class PublicCertificate:
    """What anyone who knows the number and the name may see."""

    number: str
    holder: str  # masked
    cert_type: str
    cert_type_label: Any
    operation_category: str
    issuer: str
    issued_on: dt.date
    valid_until: dt.date
    state: str  # valid, expired or revoked (Certificate.state)
    state_label: Any


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明: the first and (from three characters) the last one."""
    chars = list(name.strip())
    if len(chars) <= 1:
        return "*" * len(chars)
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def _name_key(name: str) -> str:
    text = "".join(unicodedata.normalize("NFKC", name).split())
    return _NAME_DOTS.sub("·", text).casefold()


def certificate_issuer(certificate: Certificate) -> str:
    """The issuing body: the platform's training provider, or as recorded for an imported certificate."""
    if certificate.provider_id is not None:
        return certificate.provider.name
    return certificate.issuer_name


def public_certificate(certificate: Certificate, *, today: dt.date | None = None) -> PublicCertificate:
    return PublicCertificate(
        number=certificate.number,
        holder=mask_name(certificate.holder_name),
        cert_type=certificate.cert_type,
        cert_type_label=certificate.get_cert_type_display(),
        operation_category=certificate.operation_category,
        issuer=certificate_issuer(certificate),
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        state=certificate.state(today),
        state_label=certificate.state_label(today),
    )


def lookup_allow(*, client: str, now: float | None = None) -> None:
    """Count one lookup from ``client`` (an address); raises ``TooManyLookups`` beyond the minute's limit."""
    limit = settings.EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE
    wait = window_hit(f"exams:certificate-lookup:{client}", limit=limit, period=60, now=now)
    if wait:
        raise TooManyLookups(
            _(
                "Too many certificate lookups from your network: at most %(limit)d a minute. Try again in %(seconds)d seconds."
            )
            % {"limit": limit, "seconds": wait},
            retry_after=wait,
        )


def certificate_lookup(
    *, number: str, name: str, client: str, today: dt.date | None = None, now: float | None = None
) -> PublicCertificate:
    """The certificate numbered ``number`` whose holder is called ``name``, as the public may see it.

    Counts against ``client`` first (``TooManyLookups``, 429); then
    ``CertificateNotFound`` (404) unless both match. The number is compared
    without surrounding spaces, as typed or in capitals; the name regardless of
    spaces, the form of a middle dot and full-width characters.
    """
    lookup_allow(client=client, now=now)
    number = unicodedata.normalize("NFKC", number).strip()  # full-width ＡＱ２０２６ as a Chinese keyboard types it
    key = _name_key(name)
    if number and key and len(number) <= NUMBER_MAX_LENGTH:
        # As typed or in capitals (numbers are printed in capitals): both by the unique index, where
        # number__iexact would read every certificate on PostgreSQL.
        typed = {number, number.upper()}
        candidates = Certificate.objects.filter(number__in=typed).select_related("provider")
        for certificate in candidates:
            if _name_key(certificate.holder_name) == key:
                return public_certificate(certificate, today=today or timezone.localdate())
    raise CertificateNotFound(
        _("No certificate has this number and this holder's name. Check both as they are printed on the certificate.")
    )
