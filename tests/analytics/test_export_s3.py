"""A background export on shared S3-compatible storage: written by the worker, downloaded by any web process."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from analytics.exports import export_job_run, export_purge
from analytics.models import ExportJob
from tests.analytics.api_world import FROM, TO, stats_world
from tests.conftest import Cast, login_client
from tests.support import s3
from tests.support.s3 import bucket_objects

pytestmark = pytest.mark.django_db
s3_endpoint, bucket = s3.s3_endpoint, s3.bucket


def test_an_export_lands_in_the_bucket_downloads_and_expires(
    cast: Cast, settings: Any, tmp_path: Path, bucket: Any
) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.ANALYTICS_EXPORT_RETENTION_HOURS = 24
    stats_world(cast)
    job = ExportJob.objects.create(
        requested_by=cast.east.bureau, code="principal_certified_rate", params={"from": FROM, "to": TO}, kind="csv"
    )
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE

    stored = bucket_objects(bucket)
    assert list(stored) == [f"analytics-exports/{job.file}"]
    assert job.size == len(stored[f"analytics-exports/{job.file}"])
    assert not (tmp_path / "private").exists()

    client = login_client(cast.east.bureau)
    assert client.get(f"/stats/exports/{job.pk}/status/").json()["download_url"]
    download = client.get(f"/stats/exports/{job.pk}/download/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body == stored[f"analytics-exports/{job.file}"]
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) > 1
    assert login_client(cast.west.bureau).get(f"/stats/exports/{job.pk}/download/").status_code == 404

    assert export_purge(now=timezone.now() + dt.timedelta(hours=25)) == {"expired": 1, "stale": 0}
    assert bucket_objects(bucket) == {}
    assert client.get(f"/stats/exports/{job.pk}/download/").status_code == 404
