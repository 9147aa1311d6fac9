from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("lessons/<int:pk>/", views.lesson_player, name="lesson_player"),
    path("lessons/<int:pk>/media/", views.lesson_media, name="lesson_media"),
    path("enterprise/", views.enterprise_dashboard, name="enterprise_dashboard"),
    path("assign/", views.assign, name="assign"),
    path("ledger/export/", views.ledger_export, name="ledger_export"),
    path("public/", views.public_courses, name="public_courses"),
    path("public/courses/<int:pk>/enrol/", views.public_enrol, name="public_enrol"),
]
