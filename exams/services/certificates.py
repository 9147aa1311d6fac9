"""Certificates: issue, revoke and the expiry reminders (rendering, QR code and PDF: ``exams.certificates``)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.models import Attempt, Certificate
from organizations.models import Person
from organizations.validators import mask_id_number


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def holder_fields(person: Person) -> dict[str, Any]:
    """What a certificate keeps of its holder as they were when it was issued or imported (the ID number masked)."""
    return {
        "holder": person,
        "holder_name": person.name,
        "masked_id_number": mask_id_number(person.id_number),
        "enterprise": person.enterprise,
        "enterprise_name": person.enterprise.name,
    }


def certificate_issue(*, attempt: Attempt, now: dt.datetime | None = None) -> Certificate:
    now = now or timezone.now()
    session = attempt.session
    person = attempt.person
    issued = timezone.localdate(now)
    for _try in range(5):
        number = f"AQ{issued:%Y}{secrets.randbelow(10**8):08d}"
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    number=number,
                    cert_type=session.certificate_type,
                    **holder_fields(person),
                    attempt=attempt,
                    provider_id=session.provider_id,
                    score=attempt.score,
                    issued_on=issued,
                    valid_until=_add_years(issued, session.certificate_validity_years),
                )
        except IntegrityError:
            if Certificate.objects.filter(attempt=attempt).exists():
                return Certificate.objects.get(attempt=attempt)
    raise RuntimeError("could not find a free certificate number")


def certificate_revoke(*, certificate: Certificate, reason: str, now: dt.datetime | None = None) -> Certificate:
    now = now or timezone.now()
    Certificate.objects.filter(pk=certificate.pk, status=Certificate.Status.VALID).update(
        status=Certificate.Status.REVOKED, revoked_at=now, revoked_reason=reason[:255]
    )
    certificate.refresh_from_db()
    return certificate


def certificates_remind_expiring(*, today: dt.date | None = None) -> int:
    """Email holders whose certificate expires within ``EXAMS_CERTIFICATE_REMINDER_DAYS``, once."""
    from django.core.mail import send_mail
    from django.utils import translation

    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.EXAMS_CERTIFICATE_REMINDER_DAYS)
    due = Certificate.objects.filter(
        status=Certificate.Status.VALID, valid_until__gte=today, valid_until__lte=horizon, reminded_at__isnull=True
    ).select_related("holder__user")
    sent = 0
    for certificate in due:
        email = certificate.holder.user.email
        if email:
            with translation.override(settings.LANGUAGE_CODE):
                send_mail(
                    _("Your certificate %(number)s expires on %(date)s")
                    % {
                        "number": certificate.number,
                        "date": certificate.valid_until.isoformat(),
                    },
                    _("Please arrange the retraining and re-assessment before it expires."),
                    None,
                    [email],
                    fail_silently=True,
                )
            sent += 1
        Certificate.objects.filter(pk=certificate.pk).update(reminded_at=timezone.now())
    return sent
