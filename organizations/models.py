from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations.validators import validate_credit_code, validate_id_number

#: ``valid_from`` of an enterprise's first status: it holds since the beginning.
BEGINNING = dt.date(1900, 1, 1)

admin_code_validator = RegexValidator(
    r"^\d{6}(\d{3}){0,2}$",
    _("An administrative division code has 6, 9 or 12 digits."),
)


class Jurisdiction(models.Model):
    """A node of the administrative tree: district → street / town / zone.

    ``path`` is the chain of codes from the root, slash-delimited
    (``/110105/110105001/``), so a subtree is one ``path LIKE 'prefix%'`` query.
    """

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        TOWN = "town", _("Town")
        ZONE = "zone", _("Development zone")

    code = models.CharField(_("administrative code"), max_length=12, unique=True, validators=[admin_code_validator])
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    path = models.CharField(max_length=255, unique=True, editable=False, db_index=True)
    population = models.PositiveIntegerField(
        _("resident population"),
        null=True,
        blank=True,
        help_text=_("Used for the public first-aid training coverage rate."),
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # path is derived data, recomputed here so that admin edits, services
        # and fixtures all keep it right; descendants follow a moved node.
        old_path = self.path
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.code}/"
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if old_path and old_path != self.path:
            Jurisdiction.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1))
            )

    def subtree(self) -> models.QuerySet[Jurisdiction]:
        return Jurisdiction.objects.filter(path__startswith=self.path)


class Industry(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    is_key = models.BooleanField(_("key industry"), default=False)
    is_high_risk = models.BooleanField(
        _("high-risk industry"),
        default=False,
        help_text=_("Coal mines, non-coal mines, hazardous chemicals, fireworks, metal smelting."),
    )
    is_manufacturing = models.BooleanField(
        _("manufacturing or processing"),
        default=False,
        help_text=_("New hires get three-level (plant, workshop, team) safety education."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self) -> str:
        return self.name


class TrainingProvider(models.Model):
    """An organisation whose training admins own banks, courses and exams."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="providers", verbose_name=_("jurisdiction served")
    )

    class Kind(models.TextChoices):
        DISTRICT_CENTRE = "district_centre", _("District training centre")
        UNIVERSITY = "university", _("University")
        INSTITUTION = "institution", _("Training institution")

    # A district's own training centre accepts offers to its district's lesson-plan library
    # (training.services.library); universities and institutions only offer.
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INSTITUTION)

    class Meta:
        ordering = ["code"]
        verbose_name = _("training provider")
        verbose_name_plural = _("training providers")

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    industry = models.ForeignKey(
        Industry, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("industry")
    )
    above_scale = models.BooleanField(_("above designated scale"), default=False)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("jurisdiction")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    class Post(models.TextChoices):
        PRINCIPAL = "principal", _("Principal")
        SAFETY_MANAGER = "safety_manager", _("Safety manager")
        EMPLOYEE = "employee", _("Employee")
        SPECIAL_OPERATOR = "special_operator", _("Special operations worker")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="person", verbose_name=_("login account")
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="people", verbose_name=_("enterprise")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    post = models.CharField(_("post"), max_length=32, choices=Post.choices, default=Post.EMPLOYEE)
    department = models.CharField(_("department"), max_length=100, blank=True)
    hire_date = models.DateField(_("hire date"))
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    id_number = models.CharField(_("ID card number"), max_length=18, unique=True, validators=[validate_id_number])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enterprise", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(leave_date__isnull=True) | Q(leave_date__gte=models.F("hire_date")),
                name="person_leave_after_hire",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseStatus(models.Model):
    """What an enterprise was from ``valid_from`` on: its industry, whether it
    was above designated scale, and its jurisdiction.

    The row in force on a day is the one with the latest ``valid_from`` on or
    before it. Indicators read these rows, never the enterprise's current
    columns, so a report for a past period gives the same figures next year.
    A change is a new row; the past is never rewritten.
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="statuses", verbose_name=_("enterprise")
    )
    valid_from = models.DateField(_("valid from"))
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="+", verbose_name=_("industry"))
    above_scale = models.BooleanField(_("above designated scale"))
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("jurisdiction")
    )
    source = models.CharField(_("source"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "valid_from"]
        verbose_name = _("enterprise status")
        verbose_name_plural = _("enterprise statuses")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "valid_from"], name="enterprisestatus_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} @ {self.valid_from}"


class Employment(models.Model):
    """A person's work at one enterprise, in one post, from ``start_date`` to
    ``end_date`` (inclusive; open while it is empty). A transfer ends one
    employment and starts another; ``Person.enterprise`` is the current one,
    but indicators read employments."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="employments", verbose_name=_("person"))
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="employments", verbose_name=_("enterprise")
    )
    post = models.CharField(_("post"), max_length=32, choices=Person.Post.choices, default=Person.Post.EMPLOYEE)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "start_date", "pk"]
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="employment_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "start_date"]),
            models.Index(fields=["start_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.enterprise_id} {self.start_date}–{self.end_date or ''}"


class RoleGrant(models.Model):
    """A role held by a user over one scope.

    The scope column that must be set depends on the role; the check
    constraint keeps the other ones empty so a grant can't mean two things.
    """

    class Role(models.TextChoices):
        PLATFORM_ADMIN = "platform_admin", _("Platform admin")
        BUREAU_OFFICIAL = "bureau_official", _("Bureau official")
        TRAINING_ADMIN = "training_admin", _("Training admin")
        ENTERPRISE_ADMIN = "enterprise_admin", _("Enterprise admin")
        PROCTOR = "proctor", _("Proctor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("jurisdiction")
    )
    provider = models.ForeignKey(
        TrainingProvider,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("training provider"),
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("enterprise")
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.CheckConstraint(
                name="rolegrant_scope_matches_role",
                condition=(
                    Q(role="platform_admin", jurisdiction__isnull=True, provider__isnull=True, enterprise__isnull=True)
                    | Q(
                        role__in=["bureau_official", "proctor"],
                        jurisdiction__isnull=False,
                        provider__isnull=True,
                        enterprise__isnull=True,
                    )
                    | Q(
                        role="training_admin",
                        jurisdiction__isnull=True,
                        provider__isnull=False,
                        enterprise__isnull=True,
                    )
                    | Q(
                        role="enterprise_admin",
                        jurisdiction__isnull=True,
                        provider__isnull=True,
                        enterprise__isnull=False,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(role="platform_admin"), name="rolegrant_unique_platform"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "jurisdiction"],
                condition=Q(jurisdiction__isnull=False),
                name="rolegrant_unique_jurisdiction",
            ),
            models.UniqueConstraint(
                fields=["user", "provider"], condition=Q(provider__isnull=False), name="rolegrant_unique_provider"
            ),
            models.UniqueConstraint(
                fields=["user", "enterprise"], condition=Q(enterprise__isnull=False), name="rolegrant_unique_enterprise"
            ),
        ]

    def __str__(self) -> str:
        scope = self.jurisdiction or self.provider or self.enterprise or _("platform")
        return f"{self.user} · {self.get_role_display()} · {scope}"
