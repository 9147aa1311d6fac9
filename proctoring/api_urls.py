"""Proctoring API routes for token clients, included under /api/v1/ (namespace ``api``) by config.urls."""

from django.urls import path

from proctoring import api

urlpatterns = [
    path("proctoring/consent/", api.ConsentView.as_view(), name="proctoring-consent"),
    path("proctoring/enrolment/", api.EnrolmentView.as_view(), name="proctoring-enrolment"),
    path("exams/<id:session_id>/identity-check/", api.IdentityCheckView.as_view(), name="exam-identity-check"),
    path(
        "exams/<id:session_id>/identity-check/manual/",
        api.IdentityManualView.as_view(),
        name="exam-identity-check-manual",
    ),
    path("attempts/<id:attempt_id>/proctoring/", api.AttemptProctoringView.as_view(), name="exam-attempt-proctoring"),
]
