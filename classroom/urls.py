from django.urls import path

from classroom import views

app_name = "classroom"

urlpatterns = [
    path("", views.class_list, name="list"),
    path("mine/", views.my_classes, name="mine"),
    path("new/", views.class_new, name="new"),
    path("<id:pk>/", views.class_detail, name="detail"),
    path("<id:pk>/edit/", views.class_edit, name="edit"),
    path("<id:pk>/cancel/", views.class_cancel, name="cancel"),
    path("<id:pk>/invite/", views.class_invite, name="invite"),
    path("<id:pk>/code/", views.class_code, name="code"),
    path("<id:pk>/attendance/", views.class_attendance, name="attendance"),
    path("<id:pk>/manual/", views.class_manual, name="manual"),
    path("<id:pk>/close/", views.class_close, name="close"),
    path("<id:pk>/sign/", views.class_sign, name="sign"),
    path("<id:pk>/signed/", views.class_signed, name="signed"),
]
