"""Self-registration of public learners: a sign-up page, mounted beside the
other account pages (anonymous by design)."""

from django.urls import path

from training import views

app_name = "training_public"

urlpatterns = [
    path("register/", views.public_register, name="register"),
]
