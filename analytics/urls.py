# Minimal for the export routes; the statistics pages (branch h-dash) own this file.
from django.urls import include, path

app_name = "analytics"

urlpatterns = [
    path("", include("analytics.export_urls")),
]
