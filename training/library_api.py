"""The lesson-plan library on the API: a scoped search, a plan's catalogue data and its file.

Every plan is found among ``lesson_plans_visible_to(user)``; anyone else gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request

from core.http import stored_file
from training import selectors
from training.api import FileAPIView
from training.models import LessonPlan, PlanLevel
from training.routes import endpoints
from training.services.library import content_type_of


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
    serializer_class = LessonPlanSerializer

    @extend_schema(summary="A lesson plan's catalogue data")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[LessonPlan]:
        return selectors.lesson_plans_visible_to(self.request.user)


@endpoints.route("lesson-plans/<id:pk>/file/", name="lesson-plan-file")
class LessonPlanFileView(FileAPIView):
    @extend_schema(
        summary="Download a lesson plan's file",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        plan = get_object_or_404(selectors.lesson_plans_visible_to(request.user), pk=pk)
        response = FileResponse(
            stored_file(plan.file), content_type=content_type_of(plan), as_attachment=True, filename=plan.file_name
        )
        response["Cache-Control"] = "private, no-store"
        return response
