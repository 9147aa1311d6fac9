"""Admin for exams, scoped by exams.selectors like every other surface.

Attempts are read-only (they change only through the exam services), and
certificates too, apart from revoking them through ``services.certificate_revoke``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from exams import selectors
from exams.models import Attempt, Certificate, ExamSession, PaperItem, PaperRule, PaperTemplate
from exams.services.certificates import certificate_revoke
from organizations.selectors import (
    enterprises_visible_to,
    is_platform_admin,
    jurisdictions_visible_to,
    people_visible_to,
    provider_ids_managed_by,
)


class NoDeleteMixin:
    """Rows others depend on (attempts, certificates, audit records) are never deleted here: no delete page."""

    def get_urls(self) -> list[Any]:
        return [u for u in super().get_urls() if not (u.name or "").endswith("_delete")]  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyMixin(NoDeleteMixin):
    """No add, change or delete: the admin shows these rows (every field in ``fields`` read-only), the services
    write them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(self.fields or ())  # type: ignore[attr-defined]


class PaperRuleInline(ReadOnlyMixin, admin.TabularInline):
    model = PaperRule
    extra = 0
    fields = (
        "position",
        "qtype",
        "count",
        "score",
        "knowledge_point",
        "industry_tag",
        "difficulty_min",
        "difficulty_max",
    )


class PaperItemInline(ReadOnlyMixin, admin.TabularInline):
    model = PaperItem
    extra = 0
    fields = ("position", "question", "score")


@admin.register(PaperTemplate)
class PaperTemplateAdmin(admin.ModelAdmin):
    """Papers are built on the exams pages (pool checks, preview); here only renamed or listed."""

    list_display = ("name", "provider", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    fields = ("name", "provider", "kind", "created_by", "created_at")
    readonly_fields = ("provider", "kind", "created_by", "created_at")
    inlines = [PaperRuleInline, PaperItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaperTemplate]:
        return selectors.papers_managed_by(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ExamSession)
class ExamSessionAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("title", "provider", "opens_at", "closes_at", "duration_minutes", "pass_score", "certificate_type")
    list_filter = ("result_release", "certificate_type", "is_onboarding")
    search_fields = ("title",)
    date_hierarchy = "opens_at"
    raw_id_fields = ("eligible_people",)
    # Papers may already be prepared from this paper for this provider: those stay fixed.
    readonly_fields = (
        "provider",
        "paper",
        "kind",
        "eligible_posts",
        "proctoring_policy_id",
        "prepared_at",
        "created_by",
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExamSession]:
        # Bureau officials read the sessions of their subtree; changing one is for its managers.
        return selectors.sessions_supervised_by(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or selectors.sessions_managed_by(request.user).filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # scheduled on the exams pages, which check the paper's pool

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "required_course":
            from training.selectors import courses_visible_to

            kwargs["queryset"] = courses_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "eligible_people":
            kwargs["queryset"] = people_visible_to(request.user)
        elif db_field.name == "eligible_enterprises":
            kwargs["queryset"] = enterprises_visible_to(request.user)
        elif db_field.name == "eligible_jurisdictions":
            kwargs["queryset"] = jurisdictions_visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("session", "person", "seq", "status", "score", "passed", "submit_reason", "submitted_at")
    list_filter = ("status", "submit_reason", "passed")
    search_fields = ("person__name", "session__title")
    list_select_related = ("session", "person")
    # No payload, no answers: the paper and the answer key stay out of the admin.
    fields = (
        "session",
        "person",
        "seq",
        "status",
        "started_at",
        "deadline",
        "submitted_at",
        "submit_reason",
        "graded_at",
        "score",
        "max_score",
        "passed",
        "invalidated_reason",
        "opened_by",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attempt]:
        return selectors.attempts_visible_to(request.user).defer("payload")


@admin.register(Certificate)
class CertificateAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "cert_type",
        "holder_name",
        "masked_id_number",
        "enterprise_name",
        "issued_on",
        "valid_until",
        "status",
    )
    list_filter = ("status", "cert_type")
    search_fields = ("number", "holder_name", "enterprise_name")
    # The certificate states what was true when it was issued: nothing is edited here.
    fields = (
        "number",
        "cert_type",
        "holder_name",
        "masked_id_number",
        "enterprise_name",
        "provider",
        "score",
        "issued_on",
        "valid_until",
        "status",
        "revoked_at",
        "revoked_reason",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Certificate]:
        return selectors.certificates_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request) and selectors.is_exam_manager(request.user)

    @admin.action(description=_("Revoke the selected certificates"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        # Only the issuer's training admins (or a platform admin) revoke; a bureau reads.
        revocable = queryset.filter(status=Certificate.Status.VALID)
        if not is_platform_admin(request.user):
            revocable = revocable.filter(provider_id__in=provider_ids_managed_by(request.user))
        reason = str(_("Revoked in the administration site by %(user)s")) % {"user": request.user}
        count = 0
        for certificate in revocable:
            certificate_revoke(certificate=certificate, reason=reason)
            self.log_change(request, certificate, reason)
            count += 1
        self.message_user(
            request,
            ngettext("%(n)d certificate revoked.", "%(n)d certificates revoked.", count) % {"n": count},
            messages.SUCCESS if count else messages.WARNING,
        )
