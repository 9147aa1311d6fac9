from django.urls import path

from organizations import views

app_name = "organizations"

urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<id:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("people/<id:pk>/", views.person_detail, name="person_detail"),
    path("me/", views.my_profile, name="my_profile"),
    path("roster/", views.roster, name="roster"),
    path("roster/template.xlsx", views.roster_template, name="roster_template"),
]
