"""The lesson-plan library on the API: a scoped search, a plan's catalogue data, its file and a PDF's
page images.

Every plan is found among ``lesson_plans_visible_to(user)``; anyone else gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request

from core.http import stored_file
from training import selectors
from training.api import ERROR_BODY, PAGE_VERSION_PARAMETER, FileAPIView
from training.file_responses import lesson_plan_page_response, page_urls
from training.models import LessonPlan, PlanLevel
from training.pdf_pages import PAGE_CONTENT_TYPE
from training.routes import endpoints
from training.services.library import CONTENT_TYPES, content_type_of


class LessonPlanSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True, allow_null=True, default=None)
    credit_hours = serializers.DecimalField(max_digits=5, decimal_places=1, read_only=True)
    shared_with = serializers.CharField(source="shared_with.name", read_only=True, allow_null=True, default=None)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = LessonPlan
        fields = [
            "id",
            "title",
            "topic",
            "industry",
            "industry_name",
            "level",
            "credit_minutes",
            "credit_hours",
            "file_name",
            "file_type",
            "size",
            "owner",
            "share",
            "shared_with",
            "created_at",
            "file_url",
        ]
        read_only_fields = fields

    def get_owner(self, plan: LessonPlan) -> str:
        return (plan.owner_provider or plan.owner_enterprise).name  # type: ignore[union-attr]

    def get_file_url(self, plan: LessonPlan) -> str:
        return reverse("api:lesson-plan-file", args=[plan.pk])


class LessonPlanDetailSerializer(LessonPlanSerializer):
    # Only on the detail: a list would carry every page's URL of every plan on it.
    page_urls = serializers.SerializerMethodField(
        help_text="A PDF plan's pages as images (lesson-plans/{id}/pages/{number}/), in order: the first is page 1. "
        "A URL changes when the file is replaced, so a client may keep page images by URL. "
        "Empty for a Word document or slide deck, or a PDF that cannot be read."
    )

    class Meta(LessonPlanSerializer.Meta):
        fields = [*LessonPlanSerializer.Meta.fields, "page_urls"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_page_urls(self, plan: LessonPlan) -> list[str]:
        return page_urls("api:lesson-plan-page", plan.pk, version=plan.file.name, count=plan.page_count)


class LibraryQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    industry = serializers.CharField(required=False, allow_blank=True, max_length=32)
    level = serializers.ChoiceField(required=False, allow_blank=True, choices=PlanLevel.choices)
    file_type = serializers.ChoiceField(required=False, allow_blank=True, choices=LessonPlan.FileType.choices)


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="Part of the title or topic"),
        OpenApiParameter("industry", str, description="Industry code (plans for every industry match too)"),
        OpenApiParameter("level", str, enum=PlanLevel.values),
        OpenApiParameter("file_type", str, enum=LessonPlan.FileType.values),
    ],
    summary="Search the lesson-plan library (plans I may see)",
)
@endpoints.route("lesson-plans/", name="lesson-plan-list")
class LessonPlanListView(generics.ListAPIView):
    serializer_class = LessonPlanSerializer

    def get_queryset(self) -> QuerySet[LessonPlan]:
        query = LibraryQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        plans = selectors.lesson_plans_visible_to(self.request.user)
        return selectors.lesson_plans_matching(plans, **query.validated_data).order_by("-created_at", "-pk")


@endpoints.route("lesson-plans/<id:pk>/", name="lesson-plan-detail")
class LessonPlanDetailView(generics.RetrieveAPIView):
    serializer_class = LessonPlanDetailSerializer

    @extend_schema(summary="A lesson plan's catalogue data")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[LessonPlan]:
        return selectors.lesson_plans_visible_to(self.request.user)


@endpoints.route("lesson-plans/<id:pk>/file/", name="lesson-plan-file")
class LessonPlanFileView(FileAPIView):
    @extend_schema(
        summary="Download a lesson plan's file",
        description="Sent with the type of its `file_type`, as an attachment named `file_name`.",
        responses={
            (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
            for content_type in CONTENT_TYPES.values()
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        plan = get_object_or_404(selectors.lesson_plans_visible_to(request.user), pk=pk)
        response = FileResponse(
            stored_file(plan.file), content_type=content_type_of(plan), as_attachment=True, filename=plan.file_name
        )
        response["Cache-Control"] = "private, no-store"
        return response


@endpoints.route("lesson-plans/<id:pk>/pages/<id:number>/", name="lesson-plan-page")
class LessonPlanPageView(FileAPIView):
    @extend_schema(
        summary="One page of a PDF lesson plan as an image",
        description="Page `number` (from 1) as the library's preview shows it; the plan detail's `page_urls` "
        "lists them.",
        parameters=[PAGE_VERSION_PARAMETER],
        responses={
            (200, PAGE_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The page image."),
            404: OpenApiResponse(
                ERROR_BODY,
                description="No such plan or not one this user may see, a plan that is not a PDF, a page it does "
                "not have, or a PDF that cannot be read.",
            ),
        },
    )
    def get(self, request: Request, pk: int, number: int) -> HttpResponse:
        plan = get_object_or_404(selectors.lesson_plans_visible_to(request.user), pk=pk)
        return lesson_plan_page_response(plan, number)
