"""`manage.py purge_proctoring_media`: old face images go, decisions, distances and event logs stay."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from exams.models import Attempt
from exams.services.attempts import attempt_start
from proctoring.models import BrowserEvent, FaceEnrolment, IdentityCheck, ReviewDecision, Snapshot
from proctoring.services.actions import proctor_terminate, review_decide
from proctoring.services.consent import consent_give
from proctoring.services.events import event_record
from proctoring.services.identity import identity_check_face
from proctoring.services.snapshots import snapshot_process, snapshot_receive
from tests.conftest import Cast
from tests.proctoring.conftest import enrol_astronaut, make_proctored

pytestmark = pytest.mark.django_db


def _files() -> set[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_proctoring_media", *args, stdout=out)
    return out.getvalue()


def test_purge_keeps_results_and_is_idempotent(
    cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes, hopper_snapshot: bytes
) -> None:
    data = make_proctored(cast, start=False)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    identity_check_face(session=data["session"], person=cast.east.learner, frame=astronaut_snapshot)
    data["attempt"] = attempt_start(session=data["session"], person=cast.east.learner, notice_confirmed=True)
    old = snapshot_receive(attempt_id=data["attempt"].pk, data=hopper_snapshot)
    snapshot_process(snapshot_id=old.pk)
    event_record(attempt_id=data["attempt"].pk, session_id=data["session"].pk, client_seq=1, event_type="blur")
    long_ago = timezone.now() - dt.timedelta(days=settings.PROCTORING_RETENTION_DAYS + 1)
    Snapshot.objects.filter(pk=old.pk).update(received_at=long_ago)
    IdentityCheck.objects.update(created_at=long_ago)
    FaceEnrolment.objects.update(created_at=long_ago)
    recent = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)
    snapshot_process(snapshot_id=recent.pk)
    attempt = proctor_terminate(attempt=data["attempt"], by=cast.east.proctor, reason="测试")
    review_decide(attempt=attempt, by=cast.east.proctor, decision="valid")
    before = _files()
    assert len(before) == 4

    dry = _purge("--dry-run")
    assert "Would delete 1 snapshot(s), 1 identity-check capture(s) and 1 reference photo(s)" in dry
    assert _files() == before

    assert "Deleted 1 snapshot(s), 1 identity-check capture(s) and 1 reference photo(s)" in _purge()
    remaining = _files()
    assert len(remaining) == 1
    assert remaining.pop().name == Path(Snapshot.objects.get(pk=recent.pk).photo_path).name
    purged = Snapshot.objects.get(pk=old.pk)
    assert purged.photo_path == ""
    assert purged.photo_purged_at is not None
    assert (purged.outcome, purged.distance is not None, purged.threshold, purged.mismatch_threshold) == (
        "mismatch",
        True,
        0.48,
        0.63,
    )
    enrolment = FaceEnrolment.objects.get()
    assert enrolment.photo_path == ""
    assert len(bytes(enrolment.encoding)) == 1024
    assert IdentityCheck.objects.get().distance is not None
    assert BrowserEvent.objects.count() == 1
    assert ReviewDecision.objects.get().attempt.status == Attempt.Status.SUBMITTED

    assert "Deleted 0 snapshot(s), 0 identity-check capture(s) and 0 reference photo(s)" in _purge()


def test_retention_days_can_be_given(cast: Cast, astronaut_snapshot: bytes) -> None:
    data = make_proctored(cast)
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    snap = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)
    Snapshot.objects.filter(pk=snap.pk).update(
        received_at=timezone.now() - dt.timedelta(days=3), status="failed", failure_reason="no_reference"
    )
    assert "Deleted 0 snapshot" in _purge("--days", "5")
    assert "Deleted 1 snapshot" in _purge("--days", "2")


def test_the_purge_is_scheduled_on_celery_beat() -> None:
    from config.celery import app

    entry: Any = app.conf.beat_schedule["proctoring-purge-media"]
    assert entry["task"] == "proctoring.purge_media"
    assert entry["schedule"] == settings.PROCTORING_PURGE_HOURS * 3600
