from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from training import scheduler

        # Guarded: only an ASGI/dev server process runs the embedded daily job.
        scheduler.start()
