"""import_data's shared rules, its command and its upload page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from core import tabular
from tests.conftest import Cast, english_client, login_client
from tests.support.imports import csv_bytes, errors_of, run, xlsx_bytes
from training.models import CreditLedger

pytestmark = pytest.mark.usefixtures("english")

HEADER = ("身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期", "考核结果")


def _training(cast: Cast, hours: str = "8") -> list[str]:
    p = cast.east.learner
    return [p.id_number, p.enterprise.credit_code, "岗前", hours, "2026-01-10", "合格"]


def test_every_app_registers_its_kinds() -> None:
    assert {k.code for k in tabular.kinds()} == {"jurisdictions", "enterprises", "people", "certificates", "training"}


def test_titles_are_found_below_notes_and_a_missing_required_column_is_named(cast: Cast) -> None:
    table = [["2026年课堂培训记录"], [], list(HEADER), _training(cast)]
    data = xlsx_bytes(*table[0:1], *table[1:])
    result = run("training", data, name="t.xlsx")
    assert (result.created, result.errors) == (1, [])

    missing = run(
        "training",
        csv_bytes(("身份证号", "统一社会信用代码", "培训类别", "培训日期"), ["x", "y", "岗前", "2026-01-01"]),
    )
    assert errors_of(missing) == [(1, "学时")]
    assert "missing" in missing.errors[0].message


def test_a_file_without_titles_is_refused_with_the_required_ones(cast: Cast) -> None:
    result = run("training", csv_bytes(("a", "b"), ["1", "2"]))
    assert errors_of(result) == [(1, "")]
    assert "身份证号" in result.errors[0].message


def test_the_command_imports_and_says_when_nothing_changed(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    path.write_bytes(csv_bytes(HEADER, _training(cast)))
    out = io.StringIO()
    call_command("import_data", "training", str(path), "--user", "platform", stdout=out)
    assert "1 created" in out.getvalue()
    assert CreditLedger.objects.get().imported_by.username == "platform"

    out = io.StringIO()
    call_command("import_data", "training", str(path), stdout=out)
    assert "Nothing changed" in out.getvalue()
    assert "1 unchanged" in out.getvalue()
    assert CreditLedger.objects.count() == 1


def test_the_command_fails_naming_each_bad_row_and_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    path.write_bytes(csv_bytes(HEADER, _training(cast), _training(cast, hours="0")))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "training", str(path), stderr=err)
    assert "row 3 [学时]" in err.getvalue()
    assert not CreditLedger.objects.exists()


def test_the_command_exit_status(cast: Cast, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "training.csv"
    path.write_bytes(csv_bytes(HEADER, _training(cast, hours="abc")))
    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("import_data", "courses", str(path))
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_data", "certificates", str(path), "--user", "east_entadmin")
    # A real process: the status a scheduler sees (SQLite test database is not shared, so the file is bad).
    done = subprocess.run(
        [sys.executable, "manage.py", "import_data", "nothing", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "nothing" in done.stderr


def test_dry_run_on_the_command_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    path.write_bytes(csv_bytes(HEADER, _training(cast)))
    out = io.StringIO()
    call_command("import_data", "training", str(path), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert not CreditLedger.objects.exists()


def test_the_page_lists_the_kinds_a_role_may_use(cast: Cast) -> None:
    admin = english_client(cast.east.enterprise_admin).get("/import/")
    assert admin.status_code == 200
    kinds = [c[0] for c in admin.context["form"].fields["kind"].choices]
    assert kinds == ["people", "training"]
    bureau = english_client(cast.east.bureau).get("/import/")
    assert {c[0] for c in bureau.context["form"].fields["kind"].choices} == {
        "jurisdictions",
        "enterprises",
        "people",
        "certificates",
        "training",
    }
    assert english_client(cast.east.learner.user).get("/import/").status_code == 403
    assert english_client(cast.outsider).get("/import/").status_code == 403


def test_the_menu_shows_the_page_to_those_who_may_use_it(cast: Cast) -> None:
    assert "/import/" in login_client(cast.east.enterprise_admin).get("/").content.decode()
    assert "/import/" not in login_client(cast.east.learner.user).get("/").content.decode()


def test_uploading_shows_what_was_created_and_then_that_nothing_changed(cast: Cast) -> None:
    client = english_client(cast.east.enterprise_admin)
    data = csv_bytes(HEADER, _training(cast))

    first = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", data)})

    assert first.status_code == 200
    assert first.context["result"].created == 1
    assert '<b data-count="errors">0</b>' in first.content.decode()  # a count, never an empty box
    assert CreditLedger.objects.get().imported_by == cast.east.enterprise_admin
    again = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", data)})
    assert "Nothing changed" in again.content.decode()


def test_uploading_a_bad_file_lists_errors_by_row_and_column(cast: Cast) -> None:
    client = english_client(cast.east.enterprise_admin)
    data = csv_bytes(HEADER, _training(cast), _training(cast, hours="-1"))
    page = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.csv", data)}).content.decode()
    assert "Nothing was imported" in page
    assert '<td data-label="Row">3</td><td data-label="Column">学时</td>' in page
    assert '<table class="stack">' in page  # on a phone each error is a card, its message never cut off
    assert "data-upload-again" in page  # the way back to the form, above the list
    assert not CreditLedger.objects.exists()


def test_a_file_of_another_kind_is_named_as_such(cast: Cast) -> None:
    """A training file uploaded with 辖区 still selected: the message says what the file is."""
    result = run("jurisdictions", csv_bytes(HEADER, _training(cast)))
    assert errors_of(result) == [(1, "")]
    assert result.errors[0].message == (
        "This looks like a file of Training records, not of Jurisdictions: "
        "choose Training records as the kind and upload it again."
    )
    # A file of no kind at all still lists the titles the chosen kind needs.
    assert "行政区划代码" in run("jurisdictions", csv_bytes(("a", "b"), ["1", "2"])).errors[0].message


def test_a_kind_outside_the_role_is_refused_on_the_page(cast: Cast) -> None:
    client = english_client(cast.east.enterprise_admin)
    data = csv_bytes(("身份证号", "证书类型", "证书编号", "发证日期", "有效期至"), [])
    response = client.post("/import/", {"kind": "certificates", "file": SimpleUploadedFile("c.csv", data)})
    assert response.context["result"] is None
    assert "kind" in response.context["form"].errors


def test_the_template_has_the_chinese_titles_and_an_example_row(cast: Cast) -> None:
    client = login_client(cast.east.bureau)
    response = client.get("/import/template.xlsx?kind=training")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADER)
    assert rows[1][2] == "岗前"
    # The required titles are red (and the instructions say so); 考核结果 is optional.
    red = [cell.value for cell in sheet[1] if cell.font.color is not None and cell.font.color.rgb == "00C00000"]
    assert red == ["身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期"]
    notes = [r[0] for r in load_workbook(io.BytesIO(response.content)).worksheets[1].iter_rows(values_only=True)]
    assert "标题为红色的列为必填列，每一行都必须填写。" in notes  # the template comes in Chinese
    assert client.get("/import/template.xlsx?kind=nothing").status_code == 404
    assert login_client(cast.east.enterprise_admin).get("/import/template.xlsx?kind=certificates").status_code == 404


def test_the_command_hands_out_new_logins_privately(cast: Cast, tmp_path: Path) -> None:
    from tests.factories import id_number

    enterprise = cast.east.enterprises[0]
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes(
            ("姓名", "身份证号", "统一社会信用代码", "岗位", "入职日期"),
            ["韩八", id_number(), enterprise.credit_code, "从业人员", "2026-01-05"],
        )
    )
    out_file = tmp_path / "passwords.csv"
    out = io.StringIO()
    call_command("import_data", "people", str(path), "--credentials-out", str(out_file), stdout=out)
    assert "1 created" in out.getvalue()
    assert out_file.stat().st_mode & 0o777 == 0o600
    assert "韩八" in out_file.read_text(encoding="utf-8-sig")


def test_the_page_is_chinese_by_default(cast: Cast) -> None:
    page = login_client(cast.east.bureau).get("/import/").content.decode()
    for text in ("导入历史数据", "下载模板（.xlsx）", "行政区划代码", "证书编号", "培训类别"):
        assert text in page, text


def test_two_columns_for_one_field_are_refused_naming_both(cast: Cast) -> None:
    result = run("training", csv_bytes((*HEADER, "身份证号"), [*_training(cast), cast.east.learner.id_number]))
    assert errors_of(result) == [(1, "身份证号")]
    assert result.errors[0].message.count("“身份证号”") == 2
    assert result.created == 0


def test_each_template_card_leads_to_the_form_with_its_kind_chosen(cast: Cast) -> None:
    client = login_client(cast.platform_admin)
    page = client.get("/import/").content.decode()
    assert 'href="?kind=training#upload-heading"' in page
    chosen = client.get("/import/?kind=training").content.decode()
    assert '<option value="training" selected>' in chosen


def test_the_enterprises_template_lists_the_industries_and_jurisdiction_codes(cast: Cast) -> None:
    from organizations.models import Industry

    data = login_client(cast.platform_admin).get("/import/template.xlsx?kind=enterprises").content
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    assert list(sheets)[0] == "企业"  # the data sheet stays the first: the only one read
    industries = sheets["行业目录"]
    assert industries[0][:2] == ["行业", "代码"]
    assert {r[0] for r in industries[1:]} == set(Industry.objects.values_list("name", flat=True))
    codes = {r[0] for r in sheets["属地代码"][1:]}
    assert {cast.east.jurisdiction.code, cast.east.street.code} <= codes


def test_a_word_document_or_a_presentation_named_xlsx_is_named_as_such(cast: Cast) -> None:
    """A .docx or .pptx saved or renamed as .xlsx: the message says what the file is, not "damaged"."""
    from demo.library import lesson_plan_docx
    from tests.training.library_support import pptx_bytes

    client = english_client(cast.east.enterprise_admin)
    for data, what in ((lesson_plan_docx("花名册"), "a Word document"), (pptx_bytes(), "a PowerPoint presentation")):
        page = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("培训.xlsx", data)})
        errors = page.context["form"].errors["file"]
        assert errors == [f"The file is {what}, not an Excel workbook: upload the .xlsx workbook or a .csv file."]
    assert not CreditLedger.objects.exists()
    # A damaged workbook still says so.
    broken = xlsx_bytes(HEADER, _training(cast))[:-200]
    page = client.post("/import/", {"kind": "training", "file": SimpleUploadedFile("t.xlsx", broken)})
    assert "damaged" in page.context["form"].errors["file"][0]


def test_every_template_says_what_to_enter_in_each_required_column(cast: Cast) -> None:
    """The instructions sheet explains every required column (dates get the formats read)."""
    client = login_client(cast.platform_admin)
    for kind in tabular.kinds():
        response = client.get(f"/import/template.xlsx?kind={kind.code}")
        assert response.status_code == 200, kind.code
        rows = list(load_workbook(io.BytesIO(response.content)).worksheets[1].iter_rows(values_only=True))
        explained = {row[0]: row[3] for row in rows[1:] if row and row[0] and len(row) > 3}
        required = [f.title for f in kind.fields if f.required]
        names = ("名称", "企业名称", "姓名")  # explain themselves
        unexplained = [t for t in required if not explained.get(t) and t not in names]
        assert unexplained == [], kind.code
        for f in kind.fields:
            if f.is_date and not f.help:
                assert "2026年1月5日" in explained[f.title], (kind.code, f.title)
