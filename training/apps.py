from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from core import registries
        from training import scheduler
        from training.services.content import check_bank_change_keeps_lesson_quizzes

        # question_bank may not import training: its bank_update asks this guard before a bank
        # that lesson quizzes draw on is turned exam-only.
        registries.register_guard(
            "question_bank.bank_update", "training.lesson_quizzes", check_bank_change_keeps_lesson_quizzes
        )

        # Guarded: only an ASGI/dev server process runs the embedded daily job.
        scheduler.start()
