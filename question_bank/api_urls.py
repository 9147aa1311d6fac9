"""Question-bank API routes, included under /api/v1/ by config.urls."""

from django.urls import include, path

from core.ids import IdRouter
from question_bank import api

router = IdRouter()
router.register("question-banks", api.BankViewSet, basename="question-bank")
router.register("questions", api.QuestionViewSet, basename="question")
router.register("question-imports", api.ImportJobViewSet, basename="question-import")
router.register("practice/banks", api.PracticeBankViewSet, basename="practice-bank")
router.register("practice/questions", api.PracticeQuestionViewSet, basename="practice-question")

urlpatterns = [path("", include(router.urls))]
