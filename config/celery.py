import os
import time
from typing import Any

from celery import Celery
from celery.signals import before_task_publish

from core.health import SENT_AT_HEADER

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("safetrain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _stamp_sent_at(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """When the task was queued: /healthz reads it from the oldest waiting message (core.health)."""
    if headers is not None:
        headers[SENT_AT_HEADER] = time.time()


def _every(task: str, setting: str, *, unit_seconds: int = 1) -> dict[str, object]:
    """A beat entry running ``task`` every ``setting`` units (seconds, or hours with ``unit_seconds=3600``):
    the interval the embedded default's threads use too, read (and checked) once, in config/settings.py."""
    from django.conf import settings

    return {"task": task, "schedule": float(getattr(settings, setting) * unit_seconds)}


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    # Exams: the deadline job (auto-submit at deadline + grace, preparing papers,
    # certificate reminders); in the embedded default exams.scheduler runs it.
    "exams-tick": _every("exams.tick", "EXAMS_TICK_SECONDS"),
    # Proctoring: delete face images past the retention (proctoring.services.purge_media);
    # in the embedded default proctoring.scheduler runs it on a thread.
    "proctoring-purge-media": _every("proctoring.purge_media", "PROCTORING_PURGE_HOURS", unit_seconds=3600),
    # Proctoring: the missing-snapshot check (proctoring.scheduler.tick); in the embedded
    # default proctoring.scheduler runs it on a thread, `manage.py proctoring_tick` from cron.
    "proctoring-tick": _every("proctoring.tick", "PROCTORING_TICK_SECONDS"),
    # Training: the daily job (annual retraining assignment, due-date reminders);
    # in the embedded default training.scheduler runs it on a thread.
    "training-daily": _every("training.daily", "TRAINING_DAILY_JOB_HOURS", unit_seconds=3600),
    # Analytics: delete export files past ANALYTICS_EXPORT_RETENTION_HOURS (analytics.exports.export_purge);
    # in the embedded default analytics.apps starts it on a thread, `manage.py purge_analytics_exports` from cron.
    "analytics-purge-exports": _every("analytics.purge_exports", "ANALYTICS_EXPORT_PURGE_SECONDS"),
    # Classroom: the day-before reminders of classes (classroom.services.reminders); in the embedded
    # default classroom.scheduler runs it on a thread, `manage.py classroom_reminders` from cron.
    "classroom-reminders": _every("classroom.reminders", "CLASSROOM_REMINDER_SECONDS"),
    # Analytics: recompute the facts of the rows written since (analytics.facts.facts_refresh);
    # in the embedded default analytics.apps runs it on a thread, `manage.py analytics_refresh` from cron.
    "analytics-refresh-facts": _every("analytics.refresh_facts", "ANALYTICS_FACTS_REFRESH_SECONDS"),
    # Imports: delete the error lists and the jobs' quoted cells past IMPORT_ERRORS_KEPT_SECONDS, and fail
    # the jobs a stopped worker left (core.import_jobs.import_records_purge); in the embedded default
    # core.apps runs it on a thread.
    "core-purge-import-errors": _every("core.purge_import_errors", "IMPORT_ERRORS_PURGE_SECONDS"),
}
