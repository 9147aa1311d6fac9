"""Export jobs: an indicator table or people list being written in the background."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """One export asked for on the statistics pages, written by a background job.

    ``params`` are the question as the page sent it (``from``, ``to``,
    ``jurisdiction``, ``enterprise``, ``group_by`` and the indicator's own);
    the job checks them and the requester's scope again when it runs. The file
    lives in private storage (``analytics.exports``), named by ``file``
    relative to it, and is deleted after ``ANALYTICS_EXPORT_RETENTION_HOURS``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Kind(models.TextChoices):
        XLSX = "xlsx", "xlsx"
        CSV = "csv", "csv"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    code = models.CharField(_("indicator"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    people = models.BooleanField(_("people list"), default=False)
    people_status = models.CharField(_("people shown"), max_length=16, blank=True)
    kind = models.CharField(_("format"), max_length=8, choices=Kind.choices)
    language = models.CharField(max_length=16, default="zh-hans")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("rows written"), default=0)
    total = models.PositiveIntegerField(_("rows in all"), default=0)
    file = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        constraints = [
            models.CheckConstraint(name="exportjob_done_within_total", condition=Q(total=0) | Q(done__lte=F("total"))),
        ]
        indexes = [models.Index(fields=["status", "finished_at"])]

    def __str__(self) -> str:
        return self.file_name or f"{self.code} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)
