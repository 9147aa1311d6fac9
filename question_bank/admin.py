"""The Django admin for banks, scoped by the same selectors and saved through the same services
as every other door: a staff training admin sees and changes only their providers' banks, and
the owner/sharing rule (``services.bank_check_scope``) refuses what the API and the web form refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from question_bank import importers, selectors, services
from question_bank.forms import answer_field
from question_bank.models import QUESTION_DETAILS, Bank, ImportJob, Question


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "owner", "purpose", "visibility", "shared_with"]
    list_filter = ["purpose", "visibility"]
    search_fields = ["code", "name"]
    list_select_related = ["owner", "shared_with"]
    fields = ["code", "name", "owner", "purpose", "visibility", "shared_with"]
    radio_fields = {"purpose": admin.HORIZONTAL}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bank]:
        return selectors.banks_managed_by(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "owner":
            kwargs["queryset"] = selectors.bank_owner_choices(request.user)
        elif db_field.name == "shared_with":
            kwargs["queryset"] = selectors.sharing_jurisdictions_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Bank | None = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        actor = request.user
        original = None if obj is None else Bank.objects.select_related("owner", "shared_with").get(pk=obj.pk)

        class ScopedBankForm(base):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                data = super().clean()
                try:
                    if original is None:
                        services.bank_check_scope(
                            actor=actor, owner=data.get("owner"), shared_with=data.get("shared_with")
                        )
                    else:
                        changes = {
                            name: data[name]
                            for name in services.BANK_EDITABLE
                            if name in data and getattr(original, name) != data[name]
                        }
                        services.bank_check_update(actor=actor, bank=original, changes=changes)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        for message in errors:
                            self.add_error(field if field in self.fields else None, message)
                return data

        return ScopedBankForm

    def save_model(self, request: HttpRequest, obj: Bank, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in self.fields if name in form.cleaned_data}
        if change:
            saved = services.bank_update(actor=request.user, bank=Bank.objects.get(pk=obj.pk), data=data)
        else:
            saved = services.bank_create(actor=request.user, **data)
        obj.pk = saved.pk
        obj.created_at = saved.created_at


class QuestionAdminForm(forms.ModelForm):
    """The answer in the import layout (``ACD``, ``正确``, ``119|火警``, or a subjective question's reference
    answer), checked by the same validator as imports and the web editor (``services.question_check``)."""

    answer_text = answer_field(rows=3)

    class Meta:
        model = Question
        fields = [
            "bank",
            "type",
            "stem",
            "image",
            "options",
            "answer_text",
            *QUESTION_DETAILS,
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["answer_text"].initial = importers.answer_text(self.instance.type, self.instance.answer)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        if not isinstance(data.get("options") or [], list):
            self.add_error("options", _("Options are a list of texts."))
            return data
        values = importers.edit_values(data)
        stored = Question.objects.get(pk=self.instance.pk) if self.instance.pk is not None else None
        try:
            clean = services.question_check(values=values, question=stored)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = {"answer": "answer_text", "industry": "industry_tags", "post": "post_tags"}.get(field, field)
                for message in errors:
                    self.add_error(target if target in self.fields else None, message)
            return data
        self.instance.answer = clean.answer
        self.instance.options = list(clean.options)
        self.instance.fingerprint = clean.fingerprint
        return data


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = ["id", "bank", "type", "short_stem", "knowledge_point", "difficulty", "is_active", "version"]
    list_filter = ["type", "is_active", "difficulty", "bank"]
    search_fields = ["stem", "knowledge_point"]
    readonly_fields = ["fingerprint", "version", "created_at", "updated_at"]
    list_select_related = ["bank"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        # Answer keys: only for those who may browse the bank's answers.
        return selectors.questions_visible_to(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "bank":
            kwargs["queryset"] = selectors.banks_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="stem")
    def short_stem(self, obj: Question) -> str:
        return obj.stem[:40]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "bank", "file_name", "status", "progress", "created_at"]
    list_filter = ["status"]
    exclude = ["payload"]
    readonly_fields = ["bank", "created_by", "file_name", "valid_only", "status", "progress", "result", "finished_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        return selectors.import_jobs_visible_to(request.user)
