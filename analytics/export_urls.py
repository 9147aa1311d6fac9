"""Export routes, included by ``analytics.urls`` (under ``/stats/``, namespace ``analytics``)."""

from django.urls import path

from analytics import export_views

urlpatterns = [
    path("exports/", export_views.export_start, name="export_start"),
    path("exports/<id:pk>/", export_views.export_detail, name="export_detail"),
    path("exports/<id:pk>/status/", export_views.export_status, name="export_status"),
    path("exports/<id:pk>/download/", export_views.export_download, name="export_download"),
]
