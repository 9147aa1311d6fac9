"""The demo's flagged attempt survives the media purge that `make run` starts with."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from exams.models import Attempt
from proctoring import storage
from proctoring.models import Flag, Snapshot
from proctoring.selectors import review_queue
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def test_seed_demo_then_purge_keeps_the_flagged_attempts_snapshots(settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    proctor = User.objects.get(username="demo_proctor")
    flagged = list(review_queue(proctor))
    assert len(flagged) == 1
    attempt = flagged[0]

    out = StringIO()
    call_command("purge_proctoring_media", stdout=out)
    assert "Deleted 0 snapshot(s)" in out.getvalue()

    snapshots = list(Snapshot.objects.filter(attempt=attempt))
    assert len(snapshots) == 3
    for snap in snapshots:
        assert snap.photo_path
        assert storage.read(snap.photo_path)
    page = login_client(proctor).get(reverse("proctoring:review_detail", args=[attempt.pk])).content.decode()
    for snap in snapshots:
        assert reverse("proctoring:snapshot_image", args=[snap.pk]) in page

    # Still idempotent: a second run adds no history to the flagged attempt.
    counts = (Attempt.objects.count(), Flag.objects.count(), Snapshot.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Attempt.objects.count(), Flag.objects.count(), Snapshot.objects.count()) == counts
    assert list(review_queue(proctor)) == [attempt]
