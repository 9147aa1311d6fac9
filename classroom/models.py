"""Classroom training (课堂培训): a class held in a room, its invitees, attendance and evidence.

A trainer (a training admin of a provider, or an enterprise admin) schedules a
``TrainingClass``; its invitees sign in and out by scanning a code that changes
every 30 seconds (``classroom.services.codes``), optionally after a face check,
or are signed in by hand with a reason (recorded in ``core.AuditEntry``). Each
``Attendance`` is credited once to the append-only 学时 ledger
(``training.CreditLedger`` with method ``classroom``), with the minutes and the
reason for every minute not credited (late arrival, early leave).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from organizations.models import Enterprise, Person, TrainingProvider
from training.models import Course, CreditLedger, Lesson, LessonPlan, PlanTemplateStage


def _new_secret() -> str:
    return secrets.token_hex(32)


class TrainingClass(models.Model):
    """One scheduled class (一次课堂培训), owned by an enterprise or a training provider."""

    class Level(models.TextChoices):
        PLANT = "plant", _("Plant level")
        WORKSHOP = "workshop", _("Workshop level")
        TEAM = "team", _("Team level")
        PROVIDER = "provider", _("Provider class")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    topic = models.CharField(_("topic"), max_length=200)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="classes", verbose_name=_("course")
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    owner_enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
        verbose_name=_("enterprise"),
    )
    owner_provider = models.ForeignKey(
        TrainingProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
        verbose_name=_("training provider"),
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="classes_taught", verbose_name=_("trainer")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200)
    credit_minutes = models.PositiveIntegerField(
        _("credit minutes"), help_text=_("The study time the class credits when attended in full.")
    )
    tolerance_minutes = models.PositiveSmallIntegerField(
        _("tolerance (minutes)"),
        default=10,
        help_text=_("Late arrival or early leave up to this many minutes is not deducted."),
    )
    requires_face = models.BooleanField(_("face check at sign-in"), default=False)
    onboarding_stage = models.ForeignKey(
        PlanTemplateStage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
        verbose_name=_("onboarding stage fulfilled"),
    )
    quiz_lesson = models.ForeignKey(
        Lesson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("end-of-class quiz"),
        help_text=_("A lesson with a quiz; it must be passed for the class to count toward the onboarding stage."),
    )
    lesson_plans = models.ManyToManyField(
        LessonPlan, blank=True, related_name="classes", verbose_name=_("lesson plans")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    # Keys the rotating sign-in and sign-out codes (HMAC); never shown or exported.
    code_secret = models.CharField(max_length=64, default=_new_secret, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")
        constraints = [
            models.CheckConstraint(
                name="class_one_owner",
                condition=(
                    Q(owner_provider__isnull=False, owner_enterprise__isnull=True)
                    | Q(owner_provider__isnull=True, owner_enterprise__isnull=False)
                ),
            ),
            models.CheckConstraint(name="class_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))),
            models.CheckConstraint(name="class_credit_positive", condition=Q(credit_minutes__gt=0)),
        ]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self) -> str:
        return self.topic

    @property
    def time_range(self) -> str:
        """When it runs, local time: "2026-12-07 09:00–11:00"; a class that runs
        past midnight names the end's day ("2026-12-07 22:00–次日 02:00")."""
        starts, ends = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        end = f"{ends:%H:%M}"
        if ends.date() == starts.date() + dt.timedelta(days=1):
            end = gettext("next day %(time)s") % {"time": end}
        elif ends.date() != starts.date():
            end = f"{ends:%Y-%m-%d %H:%M}"
        return f"{starts:%Y-%m-%d %H:%M}–{end}"


class Invitation(models.Model):
    """A person invited to a class; ``reason`` says how (by post, department or name)."""

    class Reason(models.TextChoices):
        POST = "post", _("By post")
        DEPARTMENT = "department", _("By department")
        NAME = "name", _("By name")

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("class")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="class_invitations", verbose_name=_("person")
    )
    reason = models.CharField(_("invited"), max_length=16, choices=Reason.choices, default=Reason.NAME)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["training_class", "person__name", "pk"]
        verbose_name = _("class invitation")
        verbose_name_plural = _("class invitations")
        constraints = [models.UniqueConstraint(fields=["training_class", "person"], name="invitation_unique")]

    def __str__(self) -> str:
        return f"{self.training_class} · {self.person}"


class Attendance(models.Model):
    """One invitee's presence at a class: how they signed in and out, and what was credited."""

    class Method(models.TextChoices):
        QR = "qr", _("QR code")
        QR_FACE = "qr_face", _("QR code and face check")
        MANUAL = "manual", _("Signed by the trainer")

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("class")
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="class_attendances")
    signed_in_at = models.DateTimeField(_("signed in"))
    in_method = models.CharField(_("sign-in verified by"), max_length=16, choices=Method.choices)
    signed_out_at = models.DateTimeField(_("signed out"), null=True, blank=True)
    out_method = models.CharField(_("sign-out verified by"), max_length=16, choices=Method.choices, blank=True)
    # Private path of the face-check photo at sign-in (classroom private storage; retention as identity photos).
    face_photo = models.CharField(max_length=255, blank=True)
    credited_seconds = models.PositiveIntegerField(_("seconds credited"), default=0)
    credit_detail = models.CharField(_("how it was counted"), max_length=300, blank=True)
    ledger_entry = models.OneToOneField(
        CreditLedger, on_delete=models.PROTECT, null=True, blank=True, related_name="class_attendance"
    )
    credited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["training_class", "signed_in_at", "pk"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["training_class", "person"], name="attendance_unique"),
            models.CheckConstraint(
                name="attendance_out_after_in",
                condition=Q(signed_out_at__isnull=True) | Q(signed_out_at__gte=models.F("signed_in_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training_class} · {self.person}"


class SitePhoto(models.Model):
    """A photo of the class in progress (现场照片), kept in private storage."""

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="photos", verbose_name=_("class")
    )
    path = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["training_class", "uploaded_at", "pk"]
        verbose_name = _("site photo")
        verbose_name_plural = _("site photos")

    def __str__(self) -> str:
        return f"{self.training_class} · {self.pk}"
