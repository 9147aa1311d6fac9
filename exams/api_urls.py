from django.urls import path

from exams import api, certificate_api

urlpatterns = [
    path("me/exams/", api.MyExamsView.as_view(), name="my-exams"),
    path("exams/<id:session_id>/attempts/", api.AttemptStartView.as_view(), name="exam-attempt-start"),
    path(
        "attempts/<id:attempt_id>/answers/<id:question_id>/",
        api.AnswerView.as_view(),
        name="exam-attempt-answer",
    ),
    path("attempts/<id:attempt_id>/submit/", api.SubmitView.as_view(), name="exam-attempt-submit"),
    path("attempts/<id:attempt_id>/result/", api.ResultView.as_view(), name="exam-attempt-result"),
    path("certificates/verify/", certificate_api.CertificateVerifyView.as_view(), name="certificate-verify"),
]
