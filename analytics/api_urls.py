from django.urls import path

from analytics import api

urlpatterns = [
    path("stats/indicators/", api.IndicatorListView.as_view(), name="stats-indicators"),
    path("stats/indicators/<str:code>/", api.IndicatorView.as_view(), name="stats-indicator"),
    path("stats/indicators/<str:code>/people/", api.IndicatorPeopleView.as_view(), name="stats-indicator-people"),
]
