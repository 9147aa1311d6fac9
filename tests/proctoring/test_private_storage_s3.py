"""Face images on shared S3-compatible storage (moto's standalone server), encrypted at rest when a key is set.

The product services run unchanged; only the settings point private storage at the bucket.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.utils import timezone

from core.private_files import BiometricKeyError
from proctoring import storage
from proctoring.models import FaceEnrolment, FaceOutcome, Snapshot
from proctoring.services.consent import consent_give
from proctoring.services.retention import purge_media
from proctoring.services.snapshots import snapshot_process, snapshot_receive
from tests.conftest import Cast
from tests.proctoring.conftest import enrol_astronaut, make_proctored
from tests.support import s3
from tests.support.s3 import bucket_objects

pytestmark = pytest.mark.django_db
s3_endpoint, bucket = s3.s3_endpoint, s3.bucket


def _local_files() -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _is_image(data: bytes) -> bool:
    return data[:2] == b"\xff\xd8" or data[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_snapshot_lands_in_the_bucket_is_matched_and_purged(
    cast: Cast, bucket: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    data = make_proctored(cast)
    enrolment = enrol_astronaut(cast.east.learner, astronaut_jpeg)
    snapshot = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)

    stored = bucket_objects(bucket)
    assert stored[f"proctoring/{snapshot.photo_path}"] == astronaut_snapshot
    assert stored[f"proctoring/{enrolment.photo_path}"] == astronaut_jpeg
    assert _local_files() == []

    assert snapshot_process(snapshot_id=snapshot.pk).outcome == FaceOutcome.MATCH

    counts = purge_media(days=0, now=timezone.now() + dt.timedelta(seconds=1))
    assert (counts["snapshots"], counts["reference_photos"]) == (1, 1)
    assert bucket_objects(bucket) == {}
    assert Snapshot.objects.get(pk=snapshot.pk).photo_path == ""
    assert FaceEnrolment.objects.get(pk=enrolment.pk).photo_path == ""


def test_liveness_frames_are_listed_and_deleted_as_a_folder(cast: Cast, bucket: Any, hopper_snapshot: bytes) -> None:
    folder = storage.folder("liveness", cast.east.learner.pk)
    for name in ("turn-02.jpg", "blink-01.jpg"):
        storage.save_into(folder, name, hopper_snapshot)

    assert storage.list_folder(folder) == [f"{folder}/blink-01.jpg", f"{folder}/turn-02.jpg"]
    assert storage.delete_folder(folder) == 2
    assert bucket_objects(bucket) == {}
    assert storage.list_folder(folder) == []
    assert storage.delete_folder(folder) == 0


def test_a_path_outside_the_folder_reads_nothing_from_the_bucket(
    cast: Cast, bucket: Any, hopper_snapshot: bytes
) -> None:
    bucket.put_object(Bucket=bucket.bucket, Key="classroom/secret.jpg", Body=hopper_snapshot)

    assert storage.read("../classroom/secret.jpg") is None
    assert storage.delete("../classroom/secret.jpg") is False
    assert "classroom/secret.jpg" in bucket_objects(bucket)


def _enrolled_snapshot(cast: Cast, reference: bytes, frame: bytes) -> Snapshot:
    """The east learner enrolled with ``reference``, and ``frame`` received as a snapshot of their proctored exam."""
    data = make_proctored(cast)
    enrol_astronaut(cast.east.learner, reference)
    return snapshot_receive(attempt_id=data["attempt"].pk, data=frame)


def test_with_a_key_the_bucket_holds_ciphertext_that_reads_back_identical(
    cast: Cast, settings: Any, bucket: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    snapshot = _enrolled_snapshot(cast, astronaut_jpeg, astronaut_snapshot)

    stored = bucket_objects(bucket)
    assert len(stored) == 2
    assert not any(_is_image(body) or astronaut_snapshot in body for body in stored.values())
    assert storage.read(snapshot.photo_path) == astronaut_snapshot
    assert snapshot_process(snapshot_id=snapshot.pk).outcome == FaceOutcome.MATCH


def test_a_plain_image_written_before_the_key_still_reads(
    cast: Cast, settings: Any, bucket: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    snapshot = _enrolled_snapshot(cast, astronaut_jpeg, astronaut_snapshot)
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    assert storage.read(snapshot.photo_path) == astronaut_snapshot
    assert snapshot_process(snapshot_id=snapshot.pk).outcome == FaceOutcome.MATCH


def test_after_rotation_old_images_read_and_new_ones_use_the_new_key(
    cast: Cast, settings: Any, bucket: Any, hopper_snapshot: bytes, astronaut_snapshot: bytes
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.BIOMETRIC_ENCRYPTION_KEYS = [old_key]
    before = storage.save("snapshots", 1, hopper_snapshot)
    settings.BIOMETRIC_ENCRYPTION_KEYS = [new_key, old_key]
    after = storage.save("snapshots", 1, astronaut_snapshot)

    assert storage.read(before) == hopper_snapshot
    assert storage.read(after) == astronaut_snapshot
    assert Fernet(new_key).decrypt(bucket_objects(bucket)[f"proctoring/{after}"]) == astronaut_snapshot


def test_an_image_under_a_key_no_longer_configured_is_a_clear_error(
    cast: Cast, settings: Any, bucket: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    snapshot = _enrolled_snapshot(cast, astronaut_jpeg, astronaut_snapshot)
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(BiometricKeyError, match="BIOMETRIC_ENCRYPTION_KEY does not hold"):
        snapshot_process(snapshot_id=snapshot.pk)
    # Not silently dropped: it waits, queued, for the operator to restore the key.
    assert Snapshot.objects.get(pk=snapshot.pk).status == Snapshot.Status.QUEUED
    settings.BIOMETRIC_ENCRYPTION_KEYS = []
    with pytest.raises(BiometricKeyError, match="BIOMETRIC_ENCRYPTION_KEY is not set"):
        storage.read(snapshot.photo_path)


def test_a_malformed_key_refuses_the_snapshot_and_writes_nothing(
    cast: Cast, settings: Any, bucket: Any, astronaut_snapshot: bytes
) -> None:
    data = make_proctored(cast)
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    settings.BIOMETRIC_ENCRYPTION_KEYS = ["not-a-fernet-key"]

    with pytest.raises(BiometricKeyError, match="key 1 is not a Fernet key"):
        snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)
    assert bucket_objects(bucket) == {}
    assert not Snapshot.objects.filter(attempt=data["attempt"]).exists()


def test_on_the_local_disk_a_key_encrypts_too(cast: Cast, settings: Any, astronaut_snapshot: bytes) -> None:
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    path = storage.save("snapshots", 1, astronaut_snapshot)

    (local,) = _local_files()
    assert not _is_image(local.read_bytes())
    assert storage.read(path) == astronaut_snapshot
