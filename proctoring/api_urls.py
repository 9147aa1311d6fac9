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
    path("exams/<id:session_id>/liveness/", api.LivenessStartView.as_view(), name="exam-liveness"),
    path("exams/<id:session_id>/liveness/<id:check_id>/", api.LivenessView.as_view(), name="exam-liveness-check"),
    path(
        "exams/<id:session_id>/liveness/<id:check_id>/steps/<id:step>/",
        api.LivenessStepView.as_view(),
        name="exam-liveness-step",
    ),
    path("attempts/<id:attempt_id>/proctoring/", api.AttemptProctoringView.as_view(), name="exam-attempt-proctoring"),
]
