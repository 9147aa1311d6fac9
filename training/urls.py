from django.urls import path

from training import builder_views as builder
from training import library_urls, views

app_name = "training"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("courses/<id:pk>/", views.course_detail, name="course_detail"),
    path("lessons/<id:pk>/", views.lesson_player, name="lesson_player"),
    path("lessons/<id:pk>/media/", views.lesson_media, name="lesson_media"),
    path("lessons/<id:pk>/quiz/", views.lesson_quiz, name="lesson_quiz"),
    path("enterprise/", views.enterprise_dashboard, name="enterprise_dashboard"),
    path("assign/", views.assign, name="assign"),
    path("ledger/export/", views.ledger_export, name="ledger_export"),
    path("public/", views.public_courses, name="public_courses"),
    path("public/courses/<id:pk>/enrol/", views.public_enrol, name="public_enrol"),
    # Course builder
    path("manage/", builder.course_list, name="manage_courses"),
    path("manage/courses/new/", builder.course_create, name="manage_course_create"),
    path("manage/courses/<id:pk>/", builder.course_outline, name="manage_course"),
    path("manage/courses/<id:pk>/edit/", builder.course_edit, name="manage_course_edit"),
    path("manage/courses/<id:pk>/publish/", builder.course_publish, name="manage_course_publish"),
    path("manage/courses/<id:pk>/chapters/new/", builder.chapter_create, name="manage_chapter_create"),
    path("manage/chapters/<id:pk>/rename/", builder.chapter_rename, name="manage_chapter_rename"),
    path("manage/chapters/<id:pk>/move/", builder.chapter_move, name="manage_chapter_move"),
    path("manage/chapters/<id:pk>/delete/", builder.chapter_delete, name="manage_chapter_delete"),
    path("manage/chapters/<id:pk>/lessons/new/", builder.lesson_create, name="manage_lesson_create"),
    path("manage/lessons/<id:pk>/edit/", builder.lesson_edit, name="manage_lesson_edit"),
    path("manage/lessons/<id:pk>/move/", builder.lesson_move, name="manage_lesson_move"),
    path("manage/lessons/<id:pk>/retire/", builder.lesson_retire, name="manage_lesson_retire"),
    path("manage/lessons/<id:pk>/delete/", builder.lesson_delete, name="manage_lesson_delete"),
    # the lesson-plan library (training/library_urls.py)
    *library_urls.urlpatterns,
]
