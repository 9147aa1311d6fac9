"""Admin for training content and settings, scoped by training.selectors.

The credit ledger is read-only here: no add, change or delete.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from training import models, selectors
from training.services.content import (
    check_lesson_media,
    course_publish_check,
    course_share_check,
    lesson_check_quiz_bank,
    pdf_page_count,
    sanitize_article_html,
)
from training.services.errors import CourseEmpty, MediaRejected, ShareNeedsOffer, TrainingError


@admin.register(models.RequirementProfile)
class RequirementProfileAdmin(admin.ModelAdmin):
    list_display = ("post", "high_risk", "initial_hours", "annual_hours", "note")
    list_editable = ("initial_hours", "annual_hours")
    list_filter = ("high_risk", "post")


class StageInline(admin.TabularInline):
    model = models.PlanTemplateStage
    extra = 0
    filter_horizontal = ("courses",)


@admin.register(models.PlanTemplate)
class PlanTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_default")
    inlines = [StageInline]


class ChapterInline(admin.TabularInline):
    model = models.Chapter
    extra = 0


class CourseAdminForm(forms.ModelForm):
    class Meta:
        model = models.Course
        fields = (
            "title", "description", "owner_provider", "owner_enterprise", "shared_with", "industries", "posts",
            "is_public", "published",
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        # The builder's rule on this door too: a university's or institution's course reaches a district
        # only through an accepted offer (training.services.content.course_share_check).
        data = super().clean()
        previous = models.Course.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        try:
            course_share_check(
                course=previous, owner_provider=data.get("owner_provider"), shared_with=data.get("shared_with")
            )
        except ShareNeedsOffer as exc:
            self.add_error("shared_with", exc.message)
        # And the publishing rule: a course is published only with a lesson to study.
        if data.get("published") and not (previous is not None and previous.published):
            try:
                course_publish_check(previous)
            except CourseEmpty as exc:
                self.add_error("published", exc.message)
        return data


@admin.register(models.Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseAdminForm
    list_display = ("title", "owner_provider", "owner_enterprise", "shared_with", "is_public", "published")
    list_filter = ("is_public", "published")
    search_fields = ("title",)
    filter_horizontal = ("industries",)
    inlines = [ChapterInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Course]:
        return selectors.courses_visible_to(request.user)


class LessonAdminForm(forms.ModelForm):
    actor: Any = None  # the user saving; set by LessonAdmin.get_form

    class Meta:
        model = models.Lesson
        fields = (
            "chapter", "title", "order", "kind", "media", "body_html", "duration_seconds", "credit_minutes",
            "quiz_bank_id", "quiz_question_count", "quiz_pass_percent", "retired",
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = self.files.get("media")
        kind = data.get("kind")
        if upload is not None and kind:
            # Only the head is read to judge the type; the size comes from the upload.
            head = upload.read(64)
            upload.seek(0)
            try:
                self.instance.media_type = check_lesson_media(head, kind=kind, size=upload.size)
                if kind == models.Lesson.Kind.DOCUMENT:
                    self.instance.page_count = pdf_page_count(upload.read())
                    upload.seek(0)
            except MediaRejected as exc:
                self.add_error("media", str(exc))
        elif kind in (models.Lesson.Kind.VIDEO, models.Lesson.Kind.DOCUMENT) and not (self.instance.media or upload):
            self.add_error("media", _("Choose a file for this lesson."))
        if kind == models.Lesson.Kind.ARTICLE:
            data["body_html"] = sanitize_article_html(data.get("body_html") or "")
        if "quiz_bank_id" in data:
            # The bank is a raw id here: the same rule as the course builder's (services.lesson_check_quiz_bank).
            try:
                lesson_check_quiz_bank(
                    actor=self.actor,
                    quiz_bank_id=data["quiz_bank_id"],
                    lesson=self.instance if self.instance.pk else None,
                )
            except ValidationError as exc:
                self.add_error("quiz_bank_id", exc.message_dict["quiz_bank"])
        return data


@admin.register(models.Lesson)
class LessonAdmin(admin.ModelAdmin):
    form = LessonAdminForm
    list_display = ("title", "chapter", "kind", "credit_minutes", "retired")
    list_filter = ("kind", "retired")

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Lesson]:
        return selectors.lessons_visible_to(request.user)

    def get_form(
        self, request: HttpRequest, obj: models.Lesson | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})


class PlanCourseInline(admin.TabularInline):
    model = models.PlanCourse
    extra = 0


@admin.register(models.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "enterprise", "kind", "required_minutes")
    inlines = [PlanCourseInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Plan]:
        from organizations import selectors as org

        return models.Plan.objects.filter(enterprise__in=org.enterprises_visible_to(request.user))


@admin.register(models.Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("learner", "plan", "course", "due_date", "status", "source")
    list_filter = ("status", "source")
    raw_id_fields = ("learner", "assigned_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Assignment]:
        return selectors.assignments_visible_to(request.user)


@admin.register(models.CreditLedger)
class CreditLedgerAdmin(admin.ModelAdmin):
    list_display = ("learner", "lesson", "started_at", "ended_at", "seconds", "method")
    list_filter = ("method",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.CreditLedger]:
        return selectors.ledger_visible_to(request.user)

    def get_urls(self) -> list[Any]:
        # No delete page at all: the ledger is append-only.
        return [u for u in super().get_urls() if not (u.name or "").endswith("_delete")]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.PublicLearner)
class PublicLearnerAdmin(admin.ModelAdmin):
    list_display = ("name", "jurisdiction", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.PublicLearner]:
        from organizations import selectors as org

        return models.PublicLearner.objects.filter(jurisdiction__in=org.jurisdictions_visible_to(request.user))


# --- the lesson-plan library (lplib): read-only here; changes go through training.services.library


@admin.register(models.LessonPlan)
class LessonPlanAdmin(admin.ModelAdmin):
    list_display = ("title", "owner_provider", "owner_enterprise", "share", "shared_with", "file_type", "created_at")
    list_filter = ("share", "file_type", "level")
    search_fields = ("title", "topic")
    # The file has no public URL (private storage): it is opened from the library page.
    readonly_fields = fields = [f.name for f in models.LessonPlan._meta.fields if f.name not in ("id", "file")]

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.LessonPlan]:
        return selectors.lesson_plans_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # uploads are checked by content on the library page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return super().has_delete_permission(request)
        return (
            super().has_delete_permission(request, obj)
            and selectors.lesson_plans_managed_by(request.user).filter(pk=obj.pk).exists()
            and not obj.classes.exists()
        )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one plan at a time, through the service
        return actions

    def delete_model(self, request: HttpRequest, obj: models.LessonPlan) -> None:
        from training.services.library import plan_delete

        plan_delete(plan=obj, by=request.user)


@admin.register(models.LibraryOffer)
class LibraryOfferAdmin(admin.ModelAdmin):
    list_display = ("__str__", "provider", "district", "status", "offered_at", "decided_at")
    list_filter = ("status",)
    readonly_fields = fields = [f.name for f in models.LibraryOffer._meta.fields if f.name != "id"]
    actions = ["accept_offers"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.LibraryOffer]:
        return selectors.library_offers_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # offers are withdrawn or rejected, never deleted

    def get_urls(self) -> list[Any]:
        return [u for u in super().get_urls() if not (u.name or "").endswith("_delete")]

    @admin.action(description=gettext_lazy("Accept the selected offers"))
    def accept_offers(self, request: HttpRequest, queryset: QuerySet[models.LibraryOffer]) -> None:
        from training.services.library import offer_decide

        for offer in queryset:
            try:
                offer_decide(offer=offer, by=request.user, accept=True)
            except TrainingError as exc:
                self.message_user(request, f"{offer}: {exc.message}", level="error")
