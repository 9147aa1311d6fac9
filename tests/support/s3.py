"""A local S3-compatible server (moto's standalone server) and private storage pointed at a bucket on it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.servers import free_port

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
    """A fresh bucket, and private storage pointed at it as PRIVATE_STORAGE_BACKEND=s3 would.

    Returns a boto3 client whose ``bucket`` attribute names the bucket, to look at what landed there.
    """
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


def bucket_objects(bucket: Any) -> dict[str, bytes]:
    """Every object in the bucket, by key."""
    listing = bucket.list_objects_v2(Bucket=bucket.bucket).get("Contents", [])
    return {o["Key"]: bucket.get_object(Bucket=bucket.bucket, Key=o["Key"])["Body"].read() for o in listing}
