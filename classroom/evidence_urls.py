"""The evidence of a class, under /classes/ (included by config.urls)."""

from django.urls import path

from classroom import evidence_views as views

app_name = "classroom_evidence"

urlpatterns = [
    path("<id:pk>/evidence/", views.detail, name="detail"),
    path("<id:pk>/evidence/sheet.pdf", views.sheet_pdf, name="sheet_pdf"),
    path("<id:pk>/evidence/sheet.xlsx", views.sheet_xlsx, name="sheet_xlsx"),
    path("<id:pk>/evidence/photos/", views.photos_add, name="photos_add"),
    path("<id:pk>/evidence/photos/<id:photo_pk>/", views.photo, name="photo"),
    path("<id:pk>/evidence/photos/<id:photo_pk>/thumb/", views.photo_thumb, name="photo_thumb"),
    path("<id:pk>/evidence/photos/<id:photo_pk>/delete/", views.photo_delete, name="photo_delete"),
]
