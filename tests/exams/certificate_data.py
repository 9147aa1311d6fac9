"""Certificates as the certificate pages' tests need them: by days before and after today."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from exams.models import Certificate, CertificateType
from tests import factories


def held(person: Any, cert_type: str, *, issued_ago: int, left: int, **fields: Any) -> Certificate:
    """``person``'s certificate issued ``issued_ago`` days ago, valid for ``left`` more days (negative: expired)."""
    today = timezone.localdate()
    return factories.make_certificate(
        person,
        cert_type,
        issued_on=today - dt.timedelta(days=issued_ago),
        valid_until=today + dt.timedelta(days=left),
        **fields,
    )


def imported(person: Any, *, issuer: str, operation: str) -> Certificate:
    """A special operations certificate issued outside the platform (as ``import_data certificates`` records it)."""
    return held(
        person,
        CertificateType.SPECIAL_OPERATOR,
        issued_ago=400,
        left=1800,
        imported=True,
        issuer_name=issuer,
        operation_category=operation,
        source="certs.xlsx:2",
    )
