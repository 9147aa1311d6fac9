"""Ledger retention: purge credit-ledger rows past their retention."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from training.models import CreditLedger


def ledger_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete ledger rows older than their post's retention period. The only
    path that removes ledger rows; it bypasses the append-only queryset."""
    now = now or timezone.now()
    removed = 0
    for post, years in settings.TRAINING_LEDGER_RETENTION_YEARS.items():
        cutoff = now - dt.timedelta(days=365 * years + years // 4)
        qs = CreditLedger.objects.filter(post=post, ended_at__lt=cutoff)
        removed += qs._raw_delete(qs.db)  # noqa: SLF001
    return removed
