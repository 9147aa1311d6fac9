from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProctoringConfig(AppConfig):
    name = "proctoring"
    verbose_name = _("Proctoring")

    def ready(self) -> None:
        from core import preconditions
        from exams import events
        from proctoring import gates, hooks, scheduler

        # No paper before the identity check: exams.services.attempt_start asks every door's start.
        preconditions.register(gates.NAME, gates.identity_precondition)

        # Attempt lifecycle (submitted by the examinee, the deadline job or a
        # proctor) reaches the live grid through exams' after-commit hooks.
        events.register(hooks.exam_event)
        scheduler.start()
