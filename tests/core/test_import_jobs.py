"""import_data: a file over IMPORT_INLINE_MAX_BYTES is imported by a background job with its own page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.import_jobs import import_job_run, import_records_purge
from core.models import DataImport, ImportErrorReport
from organizations.models import Person
from tests.conftest import Cast, english_client, login_client
from tests.factories import id_number
from tests.support.imports import csv_bytes, run
from training.models import CreditLedger

pytestmark = pytest.mark.usefixtures("english")

TRAINING = ("身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期", "考核结果")
PEOPLE = ("姓名", "身份证号", "统一社会信用代码", "岗位", "入职日期", "离职日期", "手机号")


@pytest.fixture(autouse=True)
def _small_inline_limit(settings: Any) -> None:
    settings.IMPORT_INLINE_MAX_BYTES = 100  # every file in these tests is "large"


def _training_csv(cast: Cast, *hours: str) -> bytes:
    p = cast.east.learner
    return csv_bytes(
        TRAINING, *([p.id_number, p.enterprise.credit_code, "岗前", h, "2026-01-10", "合格"] for h in hours)
    )


def _upload(client: Any, kind: str, data: bytes, capture: Any, **more: Any) -> tuple[Any, DataImport]:
    """Post the file; the job is queued on commit: run it as the worker would."""
    with capture(execute=False) as callbacks:
        response = client.post("/import/", {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", data), **more})
    assert response.status_code == 302
    job = DataImport.objects.get()
    assert response["Location"] == f"/import/jobs/{job.pk}/"
    assert len(callbacks) == 1
    return response, job


def test_a_large_file_is_queued_and_its_page_shows_progress_then_the_result(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = english_client(cast.east.enterprise_admin)
    _, job = _upload(client, "training", _training_csv(cast, "8"), django_capture_on_commit_callbacks)
    assert not CreditLedger.objects.exists()  # nothing written in the request

    waiting = client.get(f"/import/jobs/{job.pk}/")
    body = waiting.content.decode()
    assert 'http-equiv="refresh"' in body
    assert 'data-job-status="queued"' in body
    assert "no-store" in waiting["Cache-Control"] or "no-cache" in waiting["Cache-Control"]

    import_job_run(job_id=job.pk)
    import_job_run(job_id=job.pk)  # a redelivered task does nothing
    job.refresh_from_db()
    assert (job.status, job.counts()["created"], bytes(job.payload)) == ("done", 1, b"")
    assert CreditLedger.objects.get().imported_by == cast.east.enterprise_admin

    done = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in done
    assert "Import finished" in done
    assert 'data-count="created">1<' in done


def test_a_bad_large_file_lists_every_bad_row_and_writes_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = english_client(cast.east.enterprise_admin)
    _, job = _upload(client, "training", _training_csv(cast, "8", "-1", "abc"), django_capture_on_commit_callbacks)
    import_job_run(job_id=job.pk)
    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert "Nothing was imported" in page
    assert re.search(r'<td data-label="[^"]*">3</td><td data-label="[^"]*">学时</td>', page)
    assert re.search(r'<td data-label="[^"]*">4</td><td data-label="[^"]*">学时</td>', page)
    assert f"{len(run('training', _training_csv(cast, '8', '-1', 'abc')).errors)} errors were found" in page
    assert not CreditLedger.objects.exists()


def test_a_job_keeps_the_first_thousand_errors_and_counts_them_all(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = english_client(cast.east.enterprise_admin)
    data = _training_csv(cast, *["-1"] * 1200)
    every = len(run("training", data).errors)  # as the request would count them
    assert every > 1200
    _, job = _upload(client, "training", data, django_capture_on_commit_callbacks)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (len(job.result["errors"]), job.result["error_count"]) == (1000, every)
    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert f"{every} errors were found" in page
    assert f'data-count="errors">{every}<' in page
    assert "Only the first 1000 errors are listed here; the download above holds all" in page
    assert page.count("<tr><td data-label=") == 1000


def test_a_dry_run_in_the_background_writes_nothing(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    client = english_client(cast.east.enterprise_admin)
    _, job = _upload(client, "training", _training_csv(cast, "8"), django_capture_on_commit_callbacks, dry_run="on")
    import_job_run(job_id=job.pk)
    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert "Check result — nothing was written" in page
    assert not CreditLedger.objects.exists()


def test_new_accounts_passwords_are_shown_once_to_the_uploader_and_kept_encrypted_meanwhile(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    a = cast.east.enterprises[0]
    data = csv_bytes(PEOPLE, ["李四", id_number(), a.credit_code, "从业人员", "2026-02-01", "", ""])
    client = english_client(cast.east.bureau)
    _, job = _upload(client, "people", data, django_capture_on_commit_callbacks)
    import_job_run(job_id=job.pk)
    person = Person.objects.get(name="李四")

    job.refresh_from_db()
    assert "password" not in str(job.result).lower()
    kept = cache.get(f"core:import:{job.pk}:credentials")
    assert kept is not None
    assert person.user.username.encode() not in kept  # encrypted at rest

    # Another user cannot open the job, and opening it does not use up the passwords.
    assert login_client(cast.west.bureau).get(f"/import/jobs/{job.pk}/").status_code == 404
    first = client.get(f"/import/jobs/{job.pk}/")
    body = first.content.decode()
    assert "New accounts" in body
    assert "data:text/csv;charset=utf-8;base64," in body
    second = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert "New accounts" not in second
    assert "Import finished" in second


def test_a_small_file_is_still_imported_in_the_request(cast: Cast, settings: Any) -> None:
    settings.IMPORT_INLINE_MAX_BYTES = 512 * 1024
    client = english_client(cast.east.enterprise_admin)
    response = client.post(
        "/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", _training_csv(cast, "8"))}
    )
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert not DataImport.objects.exists()


def test_a_file_refused_before_reading_is_not_queued(cast: Cast) -> None:
    client = english_client(cast.east.enterprise_admin)
    response = client.post(
        "/import/", {"kind": "training", "file": SimpleUploadedFile("t.xlsx", b"not a workbook" * 20)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not DataImport.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_job_runs_in_the_background_worker(cast: Cast, settings: Any) -> None:
    """No captured callbacks: the embedded default's worker threads pick the job up after the commit
    (with REDIS_URL set the backend is Celery, whose worker is not part of the test run)."""
    import time

    settings.BACKGROUND_BACKEND = "threads"

    client = english_client(cast.east.enterprise_admin)
    response = client.post(
        "/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", _training_csv(cast, "8"))}
    )
    job = DataImport.objects.get()
    assert response["Location"] == f"/import/jobs/{job.pk}/"
    for _ in range(300):  # a deadline for a hung worker, not a speed assertion
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    assert job.status == "done"
    assert CreditLedger.objects.count() == 1
    assert "Import finished" in client.get(f"/import/jobs/{job.pk}/").content.decode()


def test_the_upload_page_lists_the_users_recent_background_imports(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    """A page left while a large file ran can be found again, with its outcome; another's jobs never show."""
    client = english_client(cast.east.enterprise_admin)
    _, good = _upload(client, "training", _training_csv(cast, "8"), django_capture_on_commit_callbacks)
    import_job_run(job_id=good.pk)
    with django_capture_on_commit_callbacks(execute=False):
        client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("bad.csv", _training_csv(cast, "-1"))})
    bad = DataImport.objects.exclude(pk=good.pk).get()
    page = client.get("/import/").content.decode()
    assert f'href="/import/jobs/{bad.pk}/">bad.csv</a>' in page
    assert re.search(rf'data-job="{bad.pk}">.*?data-outcome>Queued<', page, re.S)
    import_job_run(job_id=bad.pk)
    page = client.get("/import/").content.decode()
    assert re.search(rf'data-job="{good.pk}">.*?1 created, 0 updated, 0 unchanged', page, re.S)
    assert re.search(rf'data-job="{bad.pk}">.*?Nothing imported: \d+ errors?', page, re.S)
    assert f'data-job="{good.pk}"' not in english_client(cast.east.bureau).get("/import/").content.decode()


def test_a_jobs_error_list_is_linked_while_it_is_kept(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    client = english_client(cast.east.enterprise_admin)
    _, job = _upload(client, "training", _training_csv(cast, "-1"), django_capture_on_commit_callbacks)
    import_job_run(job_id=job.pk)
    assert "data-errors-report" in client.get(f"/import/jobs/{job.pk}/").content.decode()
    ImportErrorReport.objects.update(created_at=timezone.now() - dt.timedelta(seconds=3601))  # an hour later
    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert "data-errors-report" not in page
    assert "Nothing was imported" in page  # the result itself stays


def test_past_the_hour_a_job_keeps_its_rows_and_counts_but_not_the_cells_it_quoted(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    """PIPL: the messages quote the file's cells ("“abc” is not a positive number"), and the error workbook
    that holds them goes after IMPORT_ERRORS_KEPT_SECONDS; the job's own copy of the first thousand went
    nowhere until now."""
    client = english_client(cast.east.enterprise_admin)
    _, job = _upload(client, "training", _training_csv(cast, "8", "-1", "abc"), django_capture_on_commit_callbacks)
    import_job_run(job_id=job.pk)
    assert "“abc”" in client.get(f"/import/jobs/{job.pk}/").content.decode()

    assert import_records_purge()["error_details"] == 0  # within the hour: kept
    DataImport.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(seconds=3601))
    assert import_records_purge()["error_details"] == 1
    assert import_records_purge()["error_details"] == 0  # once

    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert "“abc”" not in page
    assert "Nothing was imported" in page  # still refused, with the same rows and columns
    assert re.search(r'<td data-label="[^"]*">4</td><td data-label="[^"]*">学时</td>', page)
    assert page.count("data-details-removed") == len(DataImport.objects.get(pk=job.pk).result["errors"])


def test_a_job_its_worker_never_finished_is_failed_and_its_file_emptied(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = english_client(cast.east.enterprise_admin)
    _, queued = _upload(client, "training", _training_csv(cast, "8"), django_capture_on_commit_callbacks)
    assert bytes(DataImport.objects.get(pk=queued.pk).payload)  # the file, ID numbers and all
    assert import_records_purge()["stuck_jobs"] == 0
    DataImport.objects.filter(pk=queued.pk).update(
        status=DataImport.Status.RUNNING, created_at=timezone.now() - dt.timedelta(hours=7)
    )
    assert import_records_purge()["stuck_jobs"] == 1
    job = DataImport.objects.get(pk=queued.pk)
    assert (job.status, bytes(job.payload)) == ("failed", b"")
    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert "The import did not finish: the server stopped it. Nothing was stored; upload the file again." in page
    assert 'http-equiv="refresh"' not in page  # the page stops waiting
    assert not CreditLedger.objects.exists()
