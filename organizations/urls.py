from django.urls import path

from organizations import person_views, views

app_name = "organizations"

urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<id:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("people/<id:pk>/", person_views.person_detail, name="person_detail"),
    path("people/<id:pk>/file.pdf", person_views.person_file_pdf, name="person_file_pdf"),
    path("people/<id:pk>/edit/", person_views.person_edit, name="person_edit"),
    path("people/<id:pk>/leave/", person_views.person_leave, name="person_leave"),
    path("me/", views.my_profile, name="my_profile"),
    path("roster/", views.roster, name="roster"),
    path("roster/template.xlsx", views.roster_template, name="roster_template"),
]
