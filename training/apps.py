from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from core import navigation, person_file, registries, tabular, todo
        from organizations.services import PERSON_CREATED
        from training import home, nav, scheduler
        from training import person_file as training_file
        from training.imports import TrainingImport
        from training.services.assignments import onboarding_assign
        from training.services.content import check_bank_change_keeps_lesson_quizzes

        # question_bank may not import training: its bank_update asks this guard before a bank
        # that lesson quizzes draw on is turned exam-only.
        registries.register_guard(
            "question_bank.bank_update", "training.lesson_quizzes", check_bank_change_keeps_lesson_quizzes
        )
        # organizations may not import training: a recent hire added to a roster gets the onboarding plan.
        registries.register_follow_up(PERSON_CREATED, "training.onboarding", onboarding_assign)
        navigation.register("training", nav.nav_items, position=navigation.TRAINING)
        todo.providers.register("training.courses", home.todo_courses, position=todo.COURSES)
        tabular.register(TrainingImport())
        # organizations' 一人一档 page may not import training: assignments and the 学时 ledger.
        person_file.contributors.register(training_file.NAME, training_file.sections, position=20)

        # Guarded: only an ASGI/dev server process runs the embedded daily job.
        scheduler.start()
