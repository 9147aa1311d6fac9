from django.urls import path

from training import api

urlpatterns = [
    path("me/assignments/", api.MyAssignmentsView.as_view(), name="my-assignments"),
    path("lessons/<int:pk>/", api.LessonView.as_view(), name="lesson-detail"),
    path("lessons/<int:pk>/progress/", api.LessonProgressView.as_view(), name="lesson-progress"),
    path("lessons/<int:pk>/start/", api.LessonStartView.as_view(), name="lesson-start"),
    path("lessons/<int:pk>/heartbeat/", api.LessonHeartbeatView.as_view(), name="lesson-heartbeat"),
    path("lessons/<int:pk>/presence/", api.LessonPresenceView.as_view(), name="lesson-presence"),
    path("lessons/<int:pk>/stop/", api.LessonStopView.as_view(), name="lesson-stop"),
]
