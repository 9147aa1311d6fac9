from django.urls import path

from training import api

urlpatterns = [
    path("me/assignments/", api.MyAssignmentsView.as_view(), name="my-assignments"),
    path("lessons/<id:pk>/", api.LessonView.as_view(), name="lesson-detail"),
    path("lessons/<id:pk>/progress/", api.LessonProgressView.as_view(), name="lesson-progress"),
    path("lessons/<id:pk>/start/", api.LessonStartView.as_view(), name="lesson-start"),
    path("lessons/<id:pk>/heartbeat/", api.LessonHeartbeatView.as_view(), name="lesson-heartbeat"),
    path("lessons/<id:pk>/presence/", api.LessonPresenceView.as_view(), name="lesson-presence"),
    path("lessons/<id:pk>/stop/", api.LessonStopView.as_view(), name="lesson-stop"),
]
