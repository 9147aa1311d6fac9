from django.urls import path

from proctoring import views

app_name = "proctoring"

urlpatterns = [
    path("", views.proctor_home, name="home"),
    path("face/", views.my_face, name="my_face"),
    path("people/<id:person_id>/id-photo/", views.id_photo, name="id_photo"),
    path("sessions/<id:session_id>/check/", views.identity_check, name="identity_check"),
    path("sessions/<id:session_id>/live/", views.live, name="live"),
    path("sessions/<id:session_id>/policy/", views.policy_edit, name="policy_edit"),
    path("identity/<id:check_id>/", views.identity_review, name="identity_review"),
    path("identity/<id:check_id>/decide/", views.identity_decide, name="identity_decide"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<id:attempt_id>/", views.review_detail, name="review_detail"),
    path("media/snapshots/<id:pk>/", views.snapshot_image, name="snapshot_image"),
    path("media/identity/<id:pk>/", views.identity_image, name="identity_image"),
    path("media/identity/<id:check_id>/reference/", views.identity_reference_image, name="identity_reference_image"),
    path("media/references/<id:pk>/", views.enrolment_image, name="enrolment_image"),
    path("media/liveness/<id:pk>/<id:index>/", views.liveness_frame, name="liveness_frame"),
]
