from django.urls import include, path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("indicator/", views.indicator_page, name="indicator"),
    path("people/", views.people_page, name="people"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<id:pk>/", views.report_detail, name="report_detail"),
    # exports/… (export_start, export_detail, export_status, export_download)
    path("", include("analytics.export_urls")),
]
