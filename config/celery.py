import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("safetrain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Exams: the deadline job (auto-submit at deadline + grace, preparing papers,
# certificate reminders); in the embedded default exams.scheduler runs it.
app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "exams-tick": {"task": "exams.tick", "schedule": float(os.environ.get("EXAMS_TICK_SECONDS", "15"))},
}

# Proctoring: delete face images past the retention (proctoring.services.purge_media);
# in the embedded default proctoring.scheduler runs it on a thread.
app.conf.beat_schedule["proctoring-purge-media"] = {
    "task": "proctoring.purge_media",
    "schedule": float(os.environ.get("PROCTORING_PURGE_HOURS", "24")) * 3600,
}

# Proctoring: the missing-snapshot check (proctoring.scheduler.tick); in the embedded
# default proctoring.scheduler runs it on a thread, `manage.py proctoring_tick` from cron.
app.conf.beat_schedule["proctoring-tick"] = {
    "task": "proctoring.tick",
    "schedule": float(os.environ.get("PROCTORING_TICK_SECONDS", "15")),
}

# Training: the daily job (annual retraining assignment, due-date reminders);
# in the embedded default training.scheduler runs it on a thread.
app.conf.beat_schedule["training-daily"] = {
    "task": "training.daily",
    "schedule": float(os.environ.get("TRAINING_DAILY_JOB_HOURS", "24")) * 3600,
}

# Analytics: delete export files past ANALYTICS_EXPORT_RETENTION_HOURS (analytics.exports.export_purge);
# in the embedded default analytics.apps starts it on a thread, `manage.py purge_analytics_exports` from cron.
app.conf.beat_schedule["analytics-purge-exports"] = {
    "task": "analytics.purge_exports",
    "schedule": float(os.environ.get("ANALYTICS_EXPORT_PURGE_SECONDS", "21600")),
}
