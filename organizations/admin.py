"""The Django admin, scoped by the same selectors as every other surface."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from organizations import models, selectors
from organizations.errors import OrganizationsError
from organizations.services import (
    employment_start,
    enterprise_status_first,
    enterprise_status_record,
    person_employment_update,
)
from organizations.validators import mask_id_number

# The history the admin shows but never edits in place: a change of these fields on the
# enterprise or person form goes through the services, which record a new row.
STATUS_FIELDS = ("industry", "above_scale", "jurisdiction")
EMPLOYMENT_FIELDS = ("enterprise", "post", "hire_date", "leave_date")


class ScopedAdmin(admin.ModelAdmin):
    scope_function: Any = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return type(self).scope_function(request.user)


@admin.register(models.Jurisdiction)
class JurisdictionAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.jurisdictions_visible_to)
    list_display = ("code", "name", "kind", "parent")
    search_fields = ("code", "name")


@admin.register(models.Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_key", "is_high_risk", "is_manufacturing")


@admin.register(models.TrainingProvider)
class TrainingProviderAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.providers_visible_to)
    list_display = ("code", "name", "kind", "jurisdiction")


class HistoryInline(admin.TabularInline):
    """History rows, read-only: they change only through the services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EnterpriseStatusInline(HistoryInline):
    model = models.EnterpriseStatus
    fields = readonly_fields = ("valid_from", "industry", "above_scale", "jurisdiction", "source", "recorded_at")
    ordering = ("-valid_from",)


class EmploymentInline(HistoryInline):
    model = models.Employment
    fields = readonly_fields = ("enterprise", "post", "start_date", "end_date", "source")
    ordering = ("-start_date", "-pk")


def _keep_old(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Put back the stored values of ``names`` on ``obj``; returns the new ones the form gave."""
    stored = type(obj).objects.get(pk=obj.pk)
    new = {name: getattr(obj, name) for name in names}
    for name in names:
        setattr(obj, name, getattr(stored, name))
    return new


@admin.register(models.Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.enterprises_visible_to)
    list_display = ("name", "credit_code", "industry", "above_scale", "jurisdiction")
    list_filter = ("industry", "above_scale")
    search_fields = ("name", "credit_code")
    inlines = (EnterpriseStatusInline,)

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: models.Enterprise, form: ModelForm, change: bool) -> None:
        """A new enterprise holds its status since the beginning; a change of industry, scale
        or jurisdiction is recorded from today on (enterprise_status_record)."""
        changed = [name for name in STATUS_FIELDS if name in form.changed_data]
        if not change or not changed:
            super().save_model(request, obj, form, change)
            if not change:
                enterprise_status_first(enterprise=obj, user=request.user, source="admin")  # type: ignore[arg-type]
            return
        new = _keep_old(obj, STATUS_FIELDS)
        super().save_model(request, obj, form, change)
        try:
            enterprise_status_record(
                enterprise=obj,
                valid_from=None,
                user=request.user,  # type: ignore[arg-type]
                source="admin",
                **new,
            )
        except OrganizationsError as refused:
            messages.error(request, refused.message)


@admin.register(models.Person)
class PersonAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.people_visible_to)
    list_display = ("name", "enterprise", "post", "department", "masked_id", "hire_date")
    list_filter = ("post",)
    search_fields = ("name",)
    raw_id_fields = ("user",)
    inlines = (EmploymentInline,)

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: models.Person, form: ModelForm, change: bool) -> None:
        """Employment fields go through the services: another enterprise is a transfer
        (from the hire date given, or today), another post a new employment from today,
        another hire or leave date a correction of the current employment."""
        changed = [name for name in EMPLOYMENT_FIELDS if name in form.changed_data]
        if not change or not changed:
            super().save_model(request, obj, form, change)
            if not change:
                person_employment_update(
                    person=obj, post=obj.post, hire_date=obj.hire_date, leave_date=obj.leave_date, source="admin"
                )
            return
        new = _keep_old(obj, EMPLOYMENT_FIELDS)
        super().save_model(request, obj, form, change)
        try:
            with transaction.atomic():
                if new["enterprise"] != obj.enterprise:
                    start = new["hire_date"] if "hire_date" in changed else timezone.localdate()
                    employment_start(
                        person=obj,
                        enterprise=new["enterprise"],
                        post=new["post"],
                        start_date=start,
                        end_date=new["leave_date"],
                        source="admin",
                    )
                else:
                    person_employment_update(
                        person=obj,
                        post=new["post"],
                        hire_date=new["hire_date"],
                        leave_date=new["leave_date"],
                        source="admin",
                    )
        except OrganizationsError as refused:
            messages.error(request, refused.message)

    @admin.display(description="ID")
    def masked_id(self, obj: models.Person) -> str:
        return mask_id_number(obj.id_number)


@admin.register(models.RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "jurisdiction", "provider", "enterprise")
    list_filter = ("role",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return selectors.is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return selectors.is_platform_admin(request.user)
