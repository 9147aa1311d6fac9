"""Admin for proctoring, scoped by proctoring.selectors (and organizations/exams selectors).

Face data never appears here: no encodings, no photo paths, no images, not
even as links; images are served only by the audited views of proctoring.views.
Consents, enrolments and review decisions are read-only records.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from exams.admin import NoDeleteMixin, ReadOnlyMixin
from exams.selectors import sessions_managed_by
from organizations.selectors import people_visible_to
from proctoring import selectors
from proctoring.models import FaceConsent, FaceEnrolment, LivenessCheck, ProctoringPolicy, ReviewDecision
from proctoring.services.actions import policy_set
from proctoring.views import PolicyForm


@admin.register(ProctoringPolicy)
class ProctoringPolicyAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Edited through ``services.policy_set``; never deleted here (the session names its policy)."""

    list_display = (
        "session",
        "tab_warn_at",
        "tab_submit_at",
        "face_flag_after",
        "face_submit_after",
        "missing_flag_after",
        "missing_submit_after",
        "match_threshold",
        "mismatch_threshold",
    )
    search_fields = ("session__title",)
    list_select_related = ("session",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProctoringPolicy]:
        return ProctoringPolicy.objects.filter(session__in=sessions_managed_by(request.user))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["session", *PolicyForm.Meta.fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("session",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "session":
            kwargs["queryset"] = sessions_managed_by(request.user).filter(proctoring_policy__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ProctoringPolicy, form: Any, change: bool) -> None:
        # Through the service, which also names the policy on the exam session.
        saved = policy_set(session=obj.session, **{name: getattr(obj, name) for name in PolicyForm.Meta.fields})
        obj.pk = saved.pk


@admin.register(FaceConsent)
class FaceConsentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = fields = ("person", "text_version", "given_at", "given_by", "withdrawn_at", "ended")
    list_filter = ("text_version",)
    search_fields = ("person__name",)
    list_select_related = ("person", "given_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FaceConsent]:
        # services.consent_give closes a consent to an older text at the moment the next one is given.
        newer = FaceConsent.objects.filter(person=OuterRef("person"), given_at=OuterRef("withdrawn_at"))
        return FaceConsent.objects.filter(person__in=people_visible_to(request.user)).annotate(superseded=Exists(newer))

    @admin.display(description=_("ended"))
    def ended(self, obj: FaceConsent) -> str:
        if obj.withdrawn_at is None:
            return ""
        if getattr(obj, "superseded", False):
            return _("superseded: agreed again to a newer text")
        return _("withdrawn: face data deleted")


@admin.register(FaceEnrolment)
class FaceEnrolmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("person", "source", "version", "created_at", "created_by", "photo_purged_at")
    list_filter = ("source",)
    search_fields = ("person__name",)
    list_select_related = ("person", "created_by")
    # Never the encoding or the photo path.
    fields = ("person", "consent", "source", "version", "created_at", "created_by", "photo_purged_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FaceEnrolment]:
        return selectors.enrolments_viewable_by(request.user).defer("encoding")


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = fields = ("attempt", "decision", "reason", "decided_by", "decided_at", "revises")
    list_filter = ("decision",)
    search_fields = ("attempt__person__name", "reason")
    list_select_related = ("attempt__person", "attempt__session", "decided_by", "revises")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewDecision]:
        return ReviewDecision.objects.filter(attempt__in=selectors.attempts_proctored_by(request.user))


@admin.register(LivenessCheck)
class LivenessCheckAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("person", "session", "purpose", "status", "reason", "created_at", "decided_at", "frames_purged_at")
    list_filter = ("purpose", "status")
    search_fields = ("person__name", "session__title")
    list_select_related = ("person", "session")
    # Never the frames (not even their path) or the face encoding: the audited review page shows the frames.
    fields = tuple(
        "person session attempt purpose challenges results status reason created_at expires_at decided_at "
        "frames_purged_at flag".split()
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[LivenessCheck]:
        return selectors.liveness_checks_proctored_by(request.user).defer("encoding")
