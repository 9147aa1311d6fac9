from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("Exams")

    def ready(self) -> None:
        from exams import scheduler

        # Guarded: only an ASGI/dev server process runs the embedded deadline
        # job (see exams.scheduler); tests and management commands don't.
        if scheduler.should_start():
            scheduler.start()
