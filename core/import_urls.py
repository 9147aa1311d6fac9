from django.urls import path

from core import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_data, name="import_data"),
    path("template.xlsx", import_views.template, name="template"),
    path("jobs/<id:pk>/", import_views.import_job, name="job"),
    path("errors/<slug:token>/", import_views.errors_report, name="errors"),
]
