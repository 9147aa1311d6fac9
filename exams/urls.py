from django.urls import path

from exams import certificate_views, views, wizard_views

app_name = "exams"

urlpatterns = [
    path("", views.my_exams, name="my_exams"),
    path("<id:session_id>/notice/", views.notice, name="notice"),
    path("sessions/<id:session_id>/start/", views.start, name="start"),
    path("attempts/<id:attempt_id>/", views.attempt_page, name="attempt"),
    path("attempts/<id:attempt_id>/result/", views.result, name="result"),
    path("manage/", views.admin_home, name="admin_home"),
    path("manage/papers/new/", views.paper_new, name="paper_new"),
    path("manage/papers/<id:pk>/", views.paper_detail, name="paper_detail"),
    path("manage/sessions/new/", views.session_new, name="session_new"),
    path("manage/wizard/", wizard_views.exam_wizard, name="exam_wizard"),
    path("manage/sessions/<id:pk>/statistics/", views.session_stats, name="session_stats"),
    path("manage/sessions/<id:pk>/statistics.xlsx", views.session_export, name="session_export"),
    path("certificates/", certificate_views.my_certificates, name="my_certificates"),
    path("certificates/lookup/", certificate_views.certificate_lookup_page, name="certificate_lookup"),
    path("certificates/<id:pk>/", views.certificate_detail, name="certificate_detail"),
    path("certificates/<id:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("verify/<str:number>/", views.certificate_verify, name="certificate_verify"),
    path("spot/", views.spot_new, name="spot_new"),
    path("spot/people/<id:person_id>/", views.spot_person, name="spot_person"),
]
