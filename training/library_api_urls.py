"""The lesson-plan library's API routes, included in /api/v1/."""

from django.urls import path

from training import library_api as api

urlpatterns = [
    path("lesson-plans/", api.LessonPlanListView.as_view(), name="lesson-plan-list"),
    path("lesson-plans/<id:pk>/", api.LessonPlanDetailView.as_view(), name="lesson-plan-detail"),
    path("lesson-plans/<id:pk>/file/", api.LessonPlanFileView.as_view(), name="lesson-plan-file"),
]
