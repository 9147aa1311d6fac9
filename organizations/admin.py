"""The Django admin, scoped by the same selectors as every other surface."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from organizations import selectors
from organizations.models import Enterprise, Industry, Jurisdiction, Person, RoleGrant, TrainingProvider
from organizations.validators import mask_id_number


class ScopedAdmin(admin.ModelAdmin):
    scope_function: Any = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return type(self).scope_function(request.user)


@admin.register(Jurisdiction)
class JurisdictionAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.jurisdictions_visible_to)
    list_display = ("code", "name", "kind", "parent")
    search_fields = ("code", "name")


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_key", "is_high_risk", "is_manufacturing")


@admin.register(TrainingProvider)
class TrainingProviderAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.providers_visible_to)
    list_display = ("code", "name", "jurisdiction")


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.enterprises_visible_to)
    list_display = ("name", "credit_code", "industry", "above_scale", "jurisdiction")
    list_filter = ("industry", "above_scale")
    search_fields = ("name", "credit_code")


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    scope_function = staticmethod(selectors.people_visible_to)
    list_display = ("name", "enterprise", "post", "department", "masked_id", "hire_date")
    list_filter = ("post",)
    search_fields = ("name",)
    raw_id_fields = ("user",)

    @admin.display(description="ID")
    def masked_id(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "jurisdiction", "provider", "enterprise")
    list_filter = ("role",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return selectors.is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return selectors.is_platform_admin(request.user)
