"""Formula injection: no export hands a spreadsheet program a live formula.

Names are planted through the doors an outsider or an enterprise admin really
has (the roster import, the public self-registration form, the question
import); every export that can carry them is then downloaded through the web
door and read back with openpyxl and the csv module.
"""

from __future__ import annotations

import ast
import base64
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.spreadsheets import FORMULA_TRIGGERS, Sheet, neutralise, safe_value, write_csv, write_xlsx
from organizations.models import Person
from question_bank import services as qb
from question_bank.models import Bank
from tests.conftest import Cast, login_client
from tests.exams.conftest import make_bank, make_paper, make_session
from tests.exams.test_results_and_certificates import sit
from tests.organizations.test_roster_import import HEADER, csv_bytes, person_row
from tests.training.conftest import article_lesson, build_course, study
from training.models import Course, Lesson
from training.services.assignments import assignment_create

PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
# What is left of each payload once the import has trimmed the whitespace around a name.
STORED = [p.strip() for p in PAYLOADS]


def _xlsx_cells(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_xlsx_safe(content: bytes, planted: list[str]) -> None:
    cells = _xlsx_cells(content)
    for cell in cells:
        assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_TRIGGERS), f"{cell.coordinate}: {cell.value!r}"
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for value in planted:  # the planted names did reach the file, harmless
        assert "'" + value in texts, value


def assert_csv_safe(content: bytes, planted: list[str]) -> None:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_TRIGGERS), repr(cell)
    for value in planted:
        assert "'" + value in cells, value


def _study(user: Any, lesson: Lesson) -> None:
    study(user, lesson, seconds=30, takeover=True, stop=False)


@pytest.fixture
def planted(cast: Cast) -> dict[str, Any]:
    """The payloads as people's names, imported by the east enterprise admin through the roster page."""
    enterprise = cast.east.enterprises[0]
    client = login_client(cast.east.enterprise_admin)
    rows = [person_row(name=name) for name in PAYLOADS]
    response = client.post(
        reverse("organizations:roster"),
        {"enterprise": enterprise.pk, "mode": "import", "file": io.BytesIO(csv_bytes(rows, HEADER))},
    )
    assert response.status_code == 200
    people = list(Person.objects.filter(enterprise=enterprise, name__in=STORED))
    assert sorted(p.name for p in people) == sorted(STORED)
    return {"page": response.content.decode(), "people": people}


@pytest.mark.django_db
def test_roster_credentials_csv_is_neutralised(planted: dict[str, Any]) -> None:
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', planted["page"])
    assert href
    assert_csv_safe(base64.b64decode(href.group(1)), STORED)


@pytest.mark.django_db
def test_ledger_csv_and_xlsx_are_neutralised(cast: Cast, planted: dict[str, Any]) -> None:
    course = build_course(cast)
    video = Lesson.objects.filter(chapter__course=course).order_by("order").first()
    for person in planted["people"]:
        assignment_create(learner=person.user, course=course, due_date=timezone.localdate())
        _study(person.user, video)
    client = login_client(cast.east.enterprise_admin)
    as_csv = client.get("/training/ledger/export/")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert_csv_safe(as_csv.content, STORED)
    as_xlsx = client.get("/training/ledger/export/", {"as": "xlsx"})
    assert as_xlsx["Content-Disposition"].startswith("attachment;")
    assert_xlsx_safe(as_xlsx.content, STORED)
    # Numbers stay numbers: the seconds column is numeric, not neutralised text.
    seconds = [c.value for c in _xlsx_cells(as_xlsx.content) if c.column == 7 and c.row > 1]
    assert seconds
    assert all(isinstance(v, int) for v in seconds)


@pytest.mark.django_db
def test_public_self_registration_name_is_neutralised_in_the_bureau_ledger(cast: Cast) -> None:
    course = Course.objects.create(
        title="应急救护", owner_provider=cast.east.provider, shared_with=cast.east.jurisdiction, is_public=True
    )
    from training.models import Chapter

    chapter = Chapter.objects.create(course=course, title="第一章", order=1)
    lesson = article_lesson(chapter, "文章", order=1)
    name = PAYLOADS[0]
    anonymous = Client()
    response = anonymous.post(
        "/accounts/public/register/",
        {"jurisdiction": cast.east.street.pk, "name": name, "phone": "13800009876", "password": "safe-pass-99"},
    )
    assert response.status_code == 302
    anonymous.post(f"/training/public/courses/{course.pk}/enrol/")
    from training.models import PublicLearner

    _study(PublicLearner.objects.get(name=name).user, lesson)
    bureau = login_client(cast.east.bureau)
    assert_csv_safe(bureau.get("/training/ledger/export/").content, [name])
    assert_xlsx_safe(bureau.get("/training/ledger/export/", {"as": "xlsx"}).content, [name])


@pytest.mark.django_db
def test_exam_statistics_xlsx_is_neutralised(cast: Cast, planted: dict[str, Any]) -> None:
    bank = make_bank(cast.east.provider)
    session = make_session(cast.east.provider, make_paper(cast.east.provider, bank))
    for i, person in enumerate(planted["people"]):
        sit(session, person, right=i)
    response = login_client(cast.east.training_admin).get(f"/exams/manage/sessions/{session.pk}/statistics.xlsx")
    assert response.status_code == 200
    assert_xlsx_safe(response.content, STORED)


@pytest.mark.django_db
def test_question_export_xlsx_and_csv_are_neutralised(cast: Cast) -> None:
    bank = qb.bank_create(
        actor=None, code="east-inject", name="注入", owner=cast.east.provider, visibility=Bank.Visibility.PRIVATE
    )
    for i, payload in enumerate(STORED):
        qb.question_create(
            bank=bank,
            values={"type": "单选题", "stem": payload, "option_a": payload, "option_b": f"乙{i}", "answer": "A"},
        )
    client = login_client(cast.east.training_admin)
    xlsx = client.get(reverse("question_bank:bank_export", args=[bank.pk, "xlsx"]))
    assert xlsx.status_code == 200
    assert_xlsx_safe(b"".join(xlsx.streaming_content), STORED)
    as_csv = client.get(reverse("question_bank:bank_export", args=[bank.pk, "csv"]))
    assert_csv_safe(b"".join(as_csv.streaming_content), STORED)


# --- the writer itself -------------------------------------------------------------------


def test_writer_keeps_numbers_and_dates_and_stores_text_as_text() -> None:
    sheet = Sheet(
        title="t",
        columns=["a", "b", "c", "d", "e"],
        rows=[[-2, Decimal("-1.5"), dt.date(2026, 1, 5), "#N/A", "=1+1"], [0.25, True, None, "a\x01b", "-x"]],
    )
    cells = {c.coordinate: c for c in _xlsx_cells(write_xlsx([sheet]))}
    assert cells["A2"].value == -2
    assert cells["A2"].data_type == "n"
    assert cells["B2"].value == -1.5
    assert cells["C2"].value.date() == dt.date(2026, 1, 5)
    assert cells["D2"].value == "#N/A"
    assert cells["D2"].data_type == "s"
    assert cells["E2"].value == "'=1+1"
    assert cells["E2"].data_type == "s"
    assert cells["D3"].value == "ab"  # control characters Excel refuses are dropped
    assert cells["E3"].value == "'-x"
    assert write_csv(sheet).decode("utf-8-sig").splitlines()[1] == "-2,-1.5,2026-01-05,#N/A,'=1+1"


def test_neutralise_leaves_plain_text_and_numbers_alone() -> None:
    assert neutralise("张三") == "张三"
    assert safe_value(-3) == -3
    assert safe_value("-3") == "'-3"  # text that merely looks like a number is still text


# --- present and future: nobody else writes spreadsheets -----------------------------------

FORBIDDEN_CALLS = {"to_excel", "to_csv", "writer", "DictWriter", "ExcelWriter", "Workbook", "XlsxWriter"}
FORBIDDEN_IMPORTS = {("openpyxl", "Workbook"), ("csv", "writer"), ("csv", "DictWriter"), ("pandas", "ExcelWriter")}
# tests/ and bench/ build upload files to feed the importers; they are not exports.
NOT_SCANNED = {".venv", "tests", "bench", "core", "node_modules", "media", "staticfiles"}


def _spreadsheet_writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (node.module.split(".")[0], alias.name) in FORBIDDEN_IMPORTS or node.module.startswith("xlsxwriter"):
                    found.append(f"{path}:{node.lineno} imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "xlsxwriter":
                    found.append(f"{path}:{node.lineno} imports xlsxwriter")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = node.func.value
            if name in {"to_excel", "to_csv", "ExcelWriter"}:
                found.append(f"{path}:{node.lineno} calls .{name}()")
            elif name in {"writer", "DictWriter"} and isinstance(owner, ast.Name) and owner.id == "csv":
                found.append(f"{path}:{node.lineno} calls csv.{name}()")
            elif name == "Workbook" and isinstance(owner, ast.Name) and owner.id == "openpyxl":
                found.append(f"{path}:{node.lineno} calls openpyxl.Workbook()")
    return found


def test_no_module_outside_core_writes_spreadsheets() -> None:
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in NOT_SCANNED or parts[0].startswith("."):
            continue
        offenders += _spreadsheet_writes(path)
    assert offenders == [], "write spreadsheets with core.spreadsheets:\n" + "\n".join(offenders)


def test_the_scan_finds_a_direct_writer(tmp_path: Path) -> None:
    sample = tmp_path / "export.py"
    sample.write_text(
        "import csv\nfrom openpyxl import Workbook\n\ndef f(frame, out):\n"
        "    frame.to_excel(out)\n    csv.writer(out)\n    frame.to_csv(out)\n",
        encoding="utf-8",
    )
    assert len(_spreadsheet_writes(sample)) == 4


def test_initial_passwords_pass_through_the_writer_unchanged() -> None:
    """A one-time password in the credentials csv must be the password itself: one that began with
    "-" came out as "'-…" once neutralised, and the new employee could not sign in."""
    from core.spreadsheets import neutralise
    from organizations.services import initial_password

    for _ in range(2000):
        password = initial_password()
        assert neutralise(password) == password
        assert len(password) == 12
