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
]

if views.EXPORTS:  # analytics/export_urls.py (its routes start with exports/) comes with the exports work
    urlpatterns.append(path("", include("analytics.export_urls")))
