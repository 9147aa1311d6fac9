from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.request_code, name="phone_reset"),
    path("code/", views.confirm, name="phone_reset_confirm"),
]
