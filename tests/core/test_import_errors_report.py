"""Every error of an import as a workbook: the page lists the first ERRORS_SHOWN, the download holds all.

On every import page: import_data in the request, a background job, and the roster.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from core.import_errors import errors_report_purge
from core.import_jobs import import_job_run
from core.models import DataImport, ImportErrorReport
from organizations.models import Person
from tests.conftest import Cast, english_client, login_client
from tests.organizations.test_roster_import import csv_bytes as roster_csv
from tests.organizations.test_roster_import import person_row
from tests.support.imports import csv_bytes, run
from training.models import CreditLedger

pytestmark = pytest.mark.usefixtures("english")

TRAINING = ("身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期", "考核结果")


def _training_csv(cast: Cast, *hours: str) -> bytes:
    p = cast.east.learner
    return csv_bytes(
        TRAINING, *([p.id_number, p.enterprise.credit_code, "岗前", h, "2026-01-10", "合格"] for h in hours)
    )


def _an_hour_later() -> None:
    ImportErrorReport.objects.update(created_at=timezone.now() - dt.timedelta(seconds=3601))


def _report_href(page: str) -> str:
    match = re.search(r'<a class="button secondary" href="([^"]+)" download data-errors-report>', page)
    assert match, "the page offers no download of its errors"
    return match.group(1)


def _report_rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_a_bad_file_in_the_request_offers_every_error_as_a_workbook(cast: Cast) -> None:
    client = english_client(cast.east.enterprise_admin)
    data = _training_csv(cast, "8", "-1", "abc")
    expected = [(e.row, e.column, e.message) for e in run("training", data).errors]

    page = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("课时.csv", data)})
    href = _report_href(page.content.decode())
    report = client.get(href)

    assert "filename*=utf-8''%E8%AF%BE%E6%97%B6%20errors.xlsx" in report["Content-Disposition"]
    rows = _report_rows(report)
    assert rows[0] == ("Row", "Column", "Problem")
    assert rows[1:] == expected
    assert {r[0] for r in rows[1:]} == {3, 4}
    assert not CreditLedger.objects.exists()


def test_a_clean_import_offers_no_error_list(cast: Cast) -> None:
    client = english_client(cast.east.enterprise_admin)
    page = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", _training_csv(cast, "8"))})
    assert "data-errors-report" not in page.content.decode()
    assert CreditLedger.objects.count() == 1


def test_the_list_is_the_uploaders_alone_and_expires(cast: Cast) -> None:
    owner = english_client(cast.east.enterprise_admin)
    page = owner.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", _training_csv(cast, "-1"))})
    href = _report_href(page.content.decode())

    for other in (cast.east.learner.user, cast.east.bureau, cast.west.enterprise_admin, cast.platform_admin):
        gone = english_client(other).get(href)
        assert gone.status_code == 404
        assert "The list of errors is gone" in gone.content.decode()
        assert "学时" not in gone.content.decode()
    assert login_client(cast.east.enterprise_admin).get(href).status_code == 200
    assert Client().get(href).status_code == 302  # to the sign-in page

    _an_hour_later()
    assert owner.get(href).status_code == 404
    assert owner.get("/import/errors/not-a-token/").status_code == 404


def test_a_background_job_lists_a_thousand_errors_and_its_download_holds_them_all(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_INLINE_MAX_BYTES = 100
    client = english_client(cast.east.enterprise_admin)
    data = _training_csv(cast, *["-1"] * 1200)
    expected = [(e.row, e.column, e.message) for e in run("training", data).errors]
    assert len(expected) > 1200

    with django_capture_on_commit_callbacks(execute=False):
        client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", data)})
    job = DataImport.objects.get()
    import_job_run(job_id=job.pk)

    page = client.get(f"/import/jobs/{job.pk}/").content.decode()
    assert page.count("<tr><td data-label=") == 1000
    assert f"Only the first 1000 errors are listed here; the download above holds all {len(expected)}." in page
    rows = _report_rows(client.get(_report_href(page)))
    assert rows[1:] == expected
    assert english_client(cast.west.enterprise_admin).get(_report_href(page)).status_code == 404


def test_the_roster_page_offers_its_errors_too(cast: Cast) -> None:
    before = Person.objects.count()
    data = roster_csv([person_row(), person_row(hire="2026-02-30")], encoding="gb18030")
    client = login_client(cast.east.enterprise_admin)
    page = client.post(
        "/org/roster/",
        {"enterprise": cast.east.enterprises[0].pk, "mode": "import", "file": SimpleUploadedFile("roster.csv", data)},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    rows = _report_rows(client.get(_report_href(page)))
    assert rows[1][:2] == (3, "入职日期")
    assert Person.objects.count() == before


def test_an_expired_list_is_deleted_by_the_purge(cast: Cast) -> None:
    """Retention: the messages quote the file's cells; past the hour the rows themselves go."""
    client = english_client(cast.east.enterprise_admin)
    for name in ("a.csv", "b.csv"):
        client.post("/import/", {"kind": "training", "file": SimpleUploadedFile(name, _training_csv(cast, "-1"))})
    assert ImportErrorReport.objects.count() == 2
    assert errors_report_purge() == 0
    ImportErrorReport.objects.filter(file_name__startswith="a").update(
        created_at=timezone.now() - dt.timedelta(seconds=3601)
    )
    assert errors_report_purge() == 1
    assert list(ImportErrorReport.objects.values_list("file_name", flat=True)) == ["b errors.xlsx"]


def test_the_pages_say_how_long_the_list_is_kept(cast: Cast, settings: Any) -> None:
    settings.IMPORT_ERRORS_KEPT_SECONDS = 2 * 3600
    client = english_client(cast.east.enterprise_admin)
    page = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", _training_csv(cast, "-1"))})
    assert "Kept for 120 minutes, for you only." in page.content.decode()
    gone = client.get("/import/errors/no-such-list/").content.decode()
    assert "kept for 120 minutes after the upload" in gone
