from django.urls import path

from question_bank import views

app_name = "question_bank"

urlpatterns = [
    path("", views.bank_list, name="bank_list"),
    path("banks/new/", views.bank_create, name="bank_create"),
    path("banks/<id:pk>/", views.bank_detail, name="bank_detail"),
    path("banks/<id:pk>/import/", views.import_upload, name="import_upload"),
    path("banks/<id:pk>/questions/new/", views.question_new, name="question_new"),
    path("banks/<id:pk>/export/<str:fmt>/", views.bank_export, name="bank_export"),
    path("banks/<id:pk>/siblings/", views.bank_siblings, name="bank_siblings"),
    path("siblings/<id:pk>/confirm/", views.sibling_confirm, name="sibling_confirm"),
    path("siblings/<id:pk>/split/", views.sibling_split, name="sibling_split"),
    path("banks/<id:pk>/siblings/confirm/", views.sibling_confirm_all, name="sibling_confirm_all"),
    path("sibling-splits/<id:pk>/undo/", views.sibling_split_undo, name="sibling_split_undo"),
    path("template.xlsx", views.template_download, name="template"),
    path("imports/<id:pk>/", views.import_job, name="import_job"),
    path("imports/<id:pk>/columns/", views.import_map, name="import_map"),
    path("imports/<id:pk>/preview/", views.import_preview, name="import_preview"),
    path("imports/<id:pk>/status/", views.import_job_status, name="import_job_status"),
    path("imports/<id:pk>/errors.xlsx", views.import_job_errors, name="import_job_errors"),
    path("questions/<id:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<id:pk>/image/", views.question_image, name="question_image"),
    path("questions/<id:pk>/active/", views.question_set_active, name="question_set_active"),
    path("practice/", views.practice_home, name="practice_home"),
    path("practice/<id:pk>/", views.practice_question, name="practice_question"),
]
