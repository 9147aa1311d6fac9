"""Face images on shared S3-compatible storage (moto's standalone server), encrypted at rest when a key is set.

The product services run unchanged; only the settings point private storage at the bucket.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.utils import timezone
from moto.server import ThreadedMotoServer

from core.private_files import BiometricKeyError
from proctoring import storage
from proctoring.models import FaceEnrolment, FaceOutcome, Snapshot
from proctoring.services.consent import consent_give
from proctoring.services.retention import purge_media
from proctoring.services.snapshots import snapshot_process, snapshot_receive
from tests.conftest import Cast
from tests.proctoring.conftest import enrol_astronaut, make_proctored
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db

CREDENTIALS = {"access_key": "moto-test", "secret_key": "moto-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(settings: Any, s3_endpoint: str) -> Any:
    """A fresh bucket, and private storage pointed at it as PRIVATE_STORAGE_BACKEND=s3 would."""
    name = f"private-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "default_acl": "private",
                "file_overwrite": True,
                **CREDENTIALS,
            },
        },
    }
    client.bucket = name
    return client


def _objects(bucket: Any) -> dict[str, bytes]:
    listing = bucket.list_objects_v2(Bucket=bucket.bucket).get("Contents", [])
    return {o["Key"]: bucket.get_object(Bucket=bucket.bucket, Key=o["Key"])["Body"].read() for o in listing}


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

    stored = _objects(bucket)
    assert stored[f"proctoring/{snapshot.photo_path}"] == astronaut_snapshot
    assert stored[f"proctoring/{enrolment.photo_path}"] == astronaut_jpeg
    assert _local_files() == []

    assert snapshot_process(snapshot_id=snapshot.pk).outcome == FaceOutcome.MATCH

    counts = purge_media(days=0, now=timezone.now() + dt.timedelta(seconds=1))
    assert (counts["snapshots"], counts["reference_photos"]) == (1, 1)
    assert _objects(bucket) == {}
    assert Snapshot.objects.get(pk=snapshot.pk).photo_path == ""
    assert FaceEnrolment.objects.get(pk=enrolment.pk).photo_path == ""


def test_liveness_frames_are_listed_and_deleted_as_a_folder(cast: Cast, bucket: Any, hopper_snapshot: bytes) -> None:
    folder = storage.folder("liveness", cast.east.learner.pk)
    for name in ("turn-02.jpg", "blink-01.jpg"):
        storage.save_into(folder, name, hopper_snapshot)

    assert storage.list_folder(folder) == [f"{folder}/blink-01.jpg", f"{folder}/turn-02.jpg"]
    assert storage.delete_folder(folder) == 2
    assert _objects(bucket) == {}
    assert storage.list_folder(folder) == []
    assert storage.delete_folder(folder) == 0


def test_a_path_outside_the_folder_reads_nothing_from_the_bucket(
    cast: Cast, bucket: Any, hopper_snapshot: bytes
) -> None:
    bucket.put_object(Bucket=bucket.bucket, Key="classroom/secret.jpg", Body=hopper_snapshot)

    assert storage.read("../classroom/secret.jpg") is None
    assert storage.delete("../classroom/secret.jpg") is False
    assert "classroom/secret.jpg" in _objects(bucket)


def test_with_a_key_the_bucket_holds_ciphertext_that_reads_back_identical(
    cast: Cast, settings: Any, bucket: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    data = make_proctored(cast)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    snapshot = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)

    stored = _objects(bucket)
    assert len(stored) == 2
    assert not any(_is_image(body) or astronaut_snapshot in body for body in stored.values())
    assert storage.read(snapshot.photo_path) == astronaut_snapshot
    assert snapshot_process(snapshot_id=snapshot.pk).outcome == FaceOutcome.MATCH


def test_a_plain_image_written_before_the_key_still_reads(
    cast: Cast, settings: Any, bucket: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    data = make_proctored(cast)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    snapshot = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)
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
    assert Fernet(new_key).decrypt(_objects(bucket)[f"proctoring/{after}"]) == astronaut_snapshot


def test_an_image_under_a_key_no_longer_configured_is_a_clear_error(
    cast: Cast, settings: Any, bucket: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    data = make_proctored(cast)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    snapshot = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)
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
    assert _objects(bucket) == {}
    assert not Snapshot.objects.filter(attempt=data["attempt"]).exists()


def test_on_the_local_disk_a_key_encrypts_too(cast: Cast, settings: Any, astronaut_snapshot: bytes) -> None:
    settings.BIOMETRIC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    path = storage.save("snapshots", 1, astronaut_snapshot)

    (local,) = _local_files()
    assert not _is_image(local.read_bytes())
    assert storage.read(path) == astronaut_snapshot
