"""Private storage and the biometric key come from the environment; a mistake stops start-up, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.config.startup import SETTINGS, refused, started

SHOW = (
    SETTINGS + "o = s.STORAGES['private']['OPTIONS']; "
    "print(s.STORAGES['private']['BACKEND'], o['bucket_name'], o['endpoint_url'], o['addressing_style'], "
    "o['default_acl'], len(s.BIOMETRIC_ENCRYPTION_KEYS))"
)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PRIVATE_STORAGE_BACKEND": "nfs"}, "PRIVATE_STORAGE_BACKEND"),
        ({"PRIVATE_STORAGE_BACKEND": "s3"}, "PRIVATE_S3_BUCKET"),
        (
            {"PRIVATE_STORAGE_BACKEND": "s3", "PRIVATE_S3_BUCKET": "b", "PRIVATE_S3_ENDPOINT_URL": "ftp://x"},
            "PRIVATE_S3_ENDPOINT_URL",
        ),
        ({"BIOMETRIC_ENCRYPTION_KEY": "not-a-key"}, "BIOMETRIC_ENCRYPTION_KEY"),
        ({"BIOMETRIC_ENCRYPTION_KEY_FILE": "/nonexistent/biometric.key"}, "BIOMETRIC_ENCRYPTION_KEY_FILE"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_it(env: dict[str, str], named: str) -> None:
    assert named in refused(**env)


def test_an_s3_bucket_and_a_key_file_start(tmp_path: Path) -> None:
    key_file = tmp_path / "biometric.key"
    key_file.write_text(f"# newest first\n{Fernet.generate_key().decode()}\n{Fernet.generate_key().decode()}\n")
    shown = started(
        SHOW,
        PRIVATE_STORAGE_BACKEND="s3",
        PRIVATE_S3_BUCKET="safetrain-private",
        PRIVATE_S3_ENDPOINT_URL="http://minio.internal:9000",
        BIOMETRIC_ENCRYPTION_KEY_FILE=str(key_file),
    )
    assert shown == [
        "storages.backends.s3.S3Storage",
        "safetrain-private",
        "http://minio.internal:9000",
        "path",
        "private",
        "2",
    ]
