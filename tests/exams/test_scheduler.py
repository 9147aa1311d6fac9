"""The periodic exam job and the guard that keeps its thread out of tests and management commands."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.utils import timezone

from core import background
from exams import scheduler
from exams.models import Attempt
from exams.services.attempts import attempt_start
from tests.exams.conftest import make_session


def test_the_scheduler_thread_does_not_start_under_pytest_or_commands(settings: Any) -> None:
    assert not background.periodic_started(scheduler.THREAD)
    assert "exams-scheduler" not in {t.name for t in threading.enumerate()}
    assert background.is_server_process(["/x/.venv/bin/daphne", "config.asgi:application"]) is False  # pytest loaded
    settings.PERIODIC_JOBS = "auto"
    assert background.periodic_jobs_wanted() is False
    settings.PERIODIC_JOBS = "on"
    settings.BACKGROUND_BACKEND = "celery"  # Celery beat runs the job instead
    assert background.periodic_jobs_wanted() is False


@pytest.mark.django_db
def test_a_tick_prepares_upcoming_papers_and_submits_overdue_attempts(cast: Any, exam: dict[str, Any]) -> None:
    soon = make_session(
        cast.east.provider,
        exam["paper"],
        title="明天的考试",
        opens_at=timezone.now() + dt.timedelta(minutes=10),
        closes_at=timezone.now() + dt.timedelta(hours=2),
    )
    running = attempt_start(notice_confirmed=True, session=exam["session"], person=cast.east.learner)
    Attempt.objects.filter(pk=running.pk).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    result = scheduler.tick()
    assert result["auto_submitted"] == 1
    assert Attempt.objects.get(pk=running.pk).submit_reason == Attempt.SubmitReason.DEADLINE_JOB
    prepared = Attempt.objects.get(session=soon, person=cast.east.learner)
    assert prepared.status == Attempt.Status.PREPARED
    assert len(prepared.payload) == 8
    assert all("answer" not in q for q in prepared.payload)
    assert scheduler.tick()["prepared"] == 0  # idempotent
