from django.urls import path

from exams import api

urlpatterns = [
    path("me/exams/", api.MyExamsView.as_view(), name="my-exams"),
    path("exams/<int:session_id>/attempts/", api.AttemptStartView.as_view(), name="exam-attempt-start"),
    path(
        "attempts/<int:attempt_id>/answers/<int:question_id>/",
        api.AnswerView.as_view(),
        name="exam-attempt-answer",
    ),
    path("attempts/<int:attempt_id>/submit/", api.SubmitView.as_view(), name="exam-attempt-submit"),
    path("attempts/<int:attempt_id>/result/", api.ResultView.as_view(), name="exam-attempt-result"),
]
