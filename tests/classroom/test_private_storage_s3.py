"""Classroom files on shared S3-compatible storage: sign-in face photos (biometric, encrypted with a key)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from classroom.models import Attendance
from classroom.services.attendance import face_photos_purge, sign_by_code
from classroom.services.codes import class_code
from tests.conftest import Cast
from tests.proctoring.conftest import enrol_astronaut
from tests.support import s3
from tests.support.classroom import at, make_class
from tests.support.s3 import bucket_objects

pytestmark = pytest.mark.django_db
s3_endpoint, bucket = s3.s3_endpoint, s3.bucket


def test_a_sign_in_face_photo_is_kept_encrypted_in_the_bucket_and_purged(
    cast: Cast,
    settings: Any,
    tmp_path: Path,
    bucket: Any,
    astronaut_jpeg: bytes,
    astronaut_snapshot: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    key = Fernet.generate_key()
    settings.BIOMETRIC_ENCRYPTION_KEYS = [key.decode()]
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    c = make_class(cast, requires_face=True)
    code = class_code(c, "in", now=at(0)).code
    attendance = sign_by_code(
        training_class=c, user=cast.east.learner.user, code=code, now=at(0), frame=astronaut_snapshot
    )

    stored = bucket_objects(bucket)[f"classroom/{attendance.face_photo}"]
    assert Fernet(key).decrypt(stored) == astronaut_snapshot
    assert not (tmp_path / "private").exists()

    later = attendance.signed_in_at + dt.timedelta(days=settings.PROCTORING_RETENTION_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        assert face_photos_purge(now=later) == 1
    assert Attendance.objects.get(pk=attendance.pk).face_photo == ""
    assert f"classroom/{attendance.face_photo}" not in bucket_objects(bucket)
