"""Retention: delete face images past the retention period."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from proctoring import storage
from proctoring.models import FaceEnrolment, IdentityCheck, LivenessCheck, Snapshot


def purge_media(*, days: int | None = None, dry_run: bool = False, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete face images older than the retention; keep the rows (outcomes, distances, decisions, events).

    Idempotent: a purged row has an empty path and is not selected again.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days if days is not None else settings.PROCTORING_RETENTION_DAYS)
    targets = {
        "snapshots": Snapshot.objects.filter(received_at__lt=cutoff)
        .exclude(photo_path="")
        .exclude(status=Snapshot.Status.QUEUED),
        "identity_checks": IdentityCheck.objects.filter(created_at__lt=cutoff).exclude(photo_path=""),
        "reference_photos": FaceEnrolment.objects.filter(created_at__lt=cutoff).exclude(photo_path=""),
    }
    counts: dict[str, int] = {}
    liveness = LivenessCheck.objects.filter(created_at__lt=cutoff).exclude(status=LivenessCheck.Status.PENDING)
    counts["liveness_checks"] = liveness.filter(_holds_face_data).count()
    if not dry_run:
        purge_liveness_frames(liveness, now, after_commit=False)
    for name, qs in targets.items():
        rows = list(qs.values_list("pk", "photo_path"))
        counts[name] = len(rows)
        if dry_run or not rows:
            continue
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            with transaction.atomic():
                qs.model.objects.filter(pk__in=[pk for pk, _path in chunk]).update(photo_path="", photo_purged_at=now)
            for _pk, path in chunk:
                storage.delete(path)
    return counts


_holds_face_data = ~Q(frames_path="") | ~Q(encoding=b"")


def purge_liveness_frames(checks: QuerySet[LivenessCheck], now: dt.datetime, *, after_commit: bool = True) -> int:
    """Delete the frames (evidence of failed checks) and the kept face of ``checks``; returns the files deleted.

    The files go after the commit (``after_commit``), so a rollback never leaves rows
    pointing at deleted files; the rows (steps, reasons, numbers) stay.
    """
    rows = list(checks.filter(_holds_face_data).values_list("pk", "frames_path"))
    if not rows:
        return 0
    LivenessCheck.objects.filter(pk__in=[pk for pk, _path in rows]).update(
        frames_path="", frames_purged_at=now, encoding=b""
    )
    folders = [path for _pk, path in rows if path]
    count = sum(len(storage.list_folder(path)) for path in folders)
    if after_commit:
        transaction.on_commit(lambda: [storage.delete_folder(path) for path in folders])
    else:
        for path in folders:
            storage.delete_folder(path)
    return count
