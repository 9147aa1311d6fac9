"""Lesson videos and documents on shared S3-compatible storage: uploaded through the service, streamed by the view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tests.conftest import Cast, login_client
from tests.support import s3
from tests.support.s3 import bucket_objects
from tests.training.conftest import FAKE_MP4, TINY_PDF, make_world
from training.services.content import lesson_delete

pytestmark = pytest.mark.django_db
s3_endpoint, bucket = s3.s3_endpoint, s3.bucket


def test_lesson_files_live_in_the_bucket_and_stream_with_ranges(cast: Cast, bucket: Any) -> None:
    world = make_world(cast, due_date=timezone.localdate() + dt.timedelta(days=10))

    stored = bucket_objects(bucket)
    assert stored[f"training/{world.video.media.name}"] == FAKE_MP4
    assert stored[f"training/{world.document.media.name}"] == TINY_PDF
    assert not Path(settings.PRIVATE_STORAGE_ROOT).exists()

    client = login_client(world.learner.user)
    url = f"/training/lessons/{world.video.pk}/media/"
    assert b"".join(client.get(url).streaming_content) == FAKE_MP4
    part = client.get(url, headers={"Range": "bytes=4-11"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 4-11/{len(FAKE_MP4)}"
    assert b"".join(part.streaming_content) == b"ftypmp42"
    document = client.get(f"/training/lessons/{world.document.pk}/media/")
    assert b"".join(document.streaming_content) == TINY_PDF


def test_document_pages_are_drawn_from_and_kept_in_the_bucket(
    cast: Cast, bucket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Several web processes share the bucket: a page drawn by one is kept there for the others, and goes
    with its file."""
    world = make_world(cast, due_date=timezone.localdate() + dt.timedelta(days=10))
    document = world.document
    client = login_client(world.learner.user)
    page = client.get(f"/training/lessons/{document.pk}/pages/2/")
    assert page.status_code == 200
    pages = [key for key in bucket_objects(bucket) if key.startswith(f"training/{document.media.name}.pages/")]
    assert len(pages) == 1
    assert bucket_objects(bucket)[pages[0]] == page.content

    with django_capture_on_commit_callbacks(execute=True):
        lesson_delete(lesson=document)
    left = [key for key in bucket_objects(bucket) if key.startswith(f"training/{document.media.name}")]
    assert left == []
