from __future__ import annotations

from django.contrib import admin

from question_bank.models import Bank, ImportJob, Question


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "owner", "visibility", "shared_with"]
    list_filter = ["visibility"]
    search_fields = ["code", "name"]
    list_select_related = ["owner", "shared_with"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "bank", "type", "short_stem", "knowledge_point", "difficulty", "is_active", "version"]
    list_filter = ["type", "is_active", "difficulty", "bank"]
    search_fields = ["stem", "knowledge_point"]
    readonly_fields = ["fingerprint", "version", "created_at", "updated_at"]
    list_select_related = ["bank"]

    @admin.display(description="stem")
    def short_stem(self, obj: Question) -> str:
        return obj.stem[:40]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "bank", "file_name", "status", "progress", "created_at"]
    list_filter = ["status"]
    exclude = ["payload"]
    readonly_fields = ["bank", "created_by", "file_name", "valid_only", "status", "progress", "result", "finished_at"]
