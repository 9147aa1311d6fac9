"""The tenancy core's tables: a large upload to ``import_data`` imported in the background, an
import's list of errors kept for its uploader, and the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DataImport(models.Model):
    """An ``import_data`` upload too large to import within the request; its page polls the status.

    The file travels in the database (a Celery worker on another host reads it)
    and is emptied once the import has run. New accounts' one-time passwords are
    never stored here (``core.import_jobs``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("what the file holds"), max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_kind = models.CharField(max_length=8, editable=False)  # CheckedUpload.kind: xlsx / csv
    payload = models.BinaryField(default=b"", editable=False)
    dry_run = models.BooleanField(_("check only"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("data import")
        verbose_name_plural = _("data imports")

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def counts(self) -> dict[str, Any]:
        return self.result.get("counts", {})


class ImportErrorReport(models.Model):
    """Every error of one import, as the workbook its uploader downloads (``core.import_errors``).

    Kept in the database, so that every web process and worker reads it and a Redis restart
    loses nothing; deleted ``IMPORT_ERRORS_KEPT_SECONDS`` after it was written (the messages
    quote cells of a file that may hold people's data).
    """

    token = models.CharField(max_length=32, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("uploaded by")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("import error list")
        verbose_name_plural = _("import error lists")

    def __str__(self) -> str:
        return self.file_name


class AuditEntry(models.Model):
    """One action that an auditor must be able to find later: who did what to which object, when and why.

    Append-only; features write it through ``core.audit.audit_record``. ``detail`` must never hold
    faces, ID numbers or answer keys.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object"), max_length=64)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.action} · {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)
