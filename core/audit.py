"""The audit log's one writer: features record actions an auditor must find later."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils import timezone

from core.models import AuditEntry


def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry (call it inside the transaction of the action it records)."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        reason=reason,
        detail=detail or {},
        at=at or timezone.now(),
    )


def audit_of(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """Every entry about one object, newest first."""
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
