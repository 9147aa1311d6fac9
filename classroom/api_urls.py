from django.urls import path

from classroom import api

urlpatterns = [
    path("classes/", api.ClassListView.as_view(), name="classes"),
    path("classes/<id:pk>/code/", api.ClassCodeView.as_view(), name="class-code"),
    path("classes/<id:pk>/sign/", api.ClassSignView.as_view(), name="class-sign"),
    path("me/classes/", api.MyClassesView.as_view(), name="my-classes"),
]
