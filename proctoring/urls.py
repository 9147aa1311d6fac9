from django.urls import path

from proctoring import views

app_name = "proctoring"

urlpatterns = [
    path("", views.proctor_home, name="home"),
    path("face/", views.my_face, name="my_face"),
    path("people/<int:person_id>/id-photo/", views.id_photo, name="id_photo"),
    path("sessions/<int:session_id>/check/", views.identity_check, name="identity_check"),
    path("sessions/<int:session_id>/live/", views.live, name="live"),
    path("sessions/<int:session_id>/policy/", views.policy_edit, name="policy_edit"),
    path("identity/<int:check_id>/decide/", views.identity_decide, name="identity_decide"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:attempt_id>/", views.review_detail, name="review_detail"),
    path("media/snapshots/<int:pk>/", views.snapshot_image, name="snapshot_image"),
    path("media/identity/<int:pk>/", views.identity_image, name="identity_image"),
    path("media/references/<int:pk>/", views.enrolment_image, name="enrolment_image"),
]
