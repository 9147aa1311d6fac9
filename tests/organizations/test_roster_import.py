"""Roster import: real xlsx (openpyxl) and csv files through the real checks,
parser, validation and database; the command; the first sign-in of an
imported account."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from accounts.models import User
from core.uploads import UploadRejected
from organizations.models import Person
from organizations.roster import ImportResult, import_roster_bytes, parse_date
from tests import factories
from tests.conftest import Cast

HEADER = ["姓名", "身份证号", "岗位", "部门", "入职日期", "离职日期", "手机号", "邮箱"]


def new_id() -> str:
    return factories.id_number("990101", "19900101")


def new_phone() -> str:
    return f"139{factories.next_seq():08d}"


def xlsx(rows: list[list[Any]], header: list[str] | None = HEADER, *, id_as_text: bool = True) -> bytes:
    book = Workbook()
    sheet = book.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    if id_as_text:
        for cell in sheet["B"]:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], header: list[str] | None = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def person_row(
    name: str = "张三",
    id_number: str | None = None,
    post: str = "从业人员",
    department: str = "一车间",
    hire: Any = dt.date(2026, 1, 5),
    leave: Any = None,
    phone: str | None = None,
    email: str = "",
) -> list[Any]:
    return [name, id_number or new_id(), post, department, hire, leave, phone, email]


def zip_bomb(size: int = 120 * 1_048_576) -> bytes:
    """A real ZIP with a workbook's content-types part and one huge part of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\0" * 1_048_576
            for _ in range(size // len(block)):
                part.write(block)
    return out.getvalue()


def lying_zip_bomb(real_size: int = 20 * 1_048_576, declared: int = 1000) -> bytes:
    """A ZIP whose directory declares a small part that actually inflates to ``real_size``.

    The declared size is patched into both the local header and the central
    directory, as a crafted bomb would do.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (real_size - 1))
    data = bytearray(out.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    pos = 0
    while True:
        pos = data.find(b"PK\x03\x04", pos)
        name_len = struct.unpack("<H", data[pos + 26 : pos + 28])[0]
        if data[pos + 30 : pos + 30 + name_len] == name:
            struct.pack_into("<I", data, pos + 22, declared)
            break
        pos += 4
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack("<H", data[central + 28 : central + 30])[0]
        if data[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", data, central + 24, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def workbook_with_dtd() -> bytes:
    """A real workbook whose sheet XML gained an entity declaration."""
    source = zipfile.ZipFile(io.BytesIO(xlsx([person_row()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' + content
            archive.writestr(info.filename, content)
    return out.getvalue()


# --- helpers for the tests below ---------------------------------------------------


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Messages are asserted in English; test_errors_speak_the_users_language covers Chinese.
    with translation.override("en"):
        yield


def run(cast: Cast, data: bytes, name: str = "roster.xlsx", **options: bool) -> ImportResult:
    return import_roster_bytes(enterprise=cast.east.enterprises[0], data=data, name=name, **options)


def errors_of(result: ImportResult) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in result.errors}


def people_count() -> tuple[int, int]:
    return Person.objects.count(), User.objects.count()


# --- happy paths -----------------------------------------------------------------------


@pytest.mark.django_db
def test_xlsx_import_creates_people_with_accounts(cast: Cast) -> None:
    enterprise = cast.east.enterprises[0]
    first, second = new_id(), new_id()
    phone = new_phone()
    # Free column order, an unknown column, full-width spaces, a blank row and
    # dates both as real Excel dates and as Chinese text.
    header = ["序号", "入职日期", "身份证号", "姓名", "岗位", "部门", "手机号", "备注"]
    data = xlsx(
        [
            [1, dt.date(2026, 1, 5), first, "\u3000张\u3000三 ", "主要负责人", " 总经理办公室\u3000", phone, "x"],
            [None, None, None, None, None, None, None, None],
            [2, "2026年2月3日", second.lower(), "Li Si", "special_operator", "焊接班", None, None],
        ],
        header=header,
    )
    result = run(cast, data)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)

    zhang = Person.objects.get(id_number=first)
    assert zhang.enterprise == enterprise
    assert zhang.name == "张三"
    assert zhang.post == Person.Post.PRINCIPAL
    assert zhang.department == "总经理办公室"
    assert zhang.hire_date == dt.date(2026, 1, 5)
    assert zhang.user.phone == phone
    assert zhang.user.must_change_password
    li = Person.objects.get(id_number=second.upper())
    assert li.name == "Li Si"
    assert li.post == Person.Post.SPECIAL_OPERATOR
    assert li.hire_date == dt.date(2026, 2, 3)

    # Each new account comes with a one-time password that really signs in.
    by_row = {c.row: c for c in result.credentials}
    assert set(by_row) == {2, 4}
    assert by_row[2].username == zhang.user.username
    assert zhang.user.check_password(by_row[2].password)
    assert li.user.check_password(by_row[4].password)
    assert by_row[2].password != by_row[4].password


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_and_gb18030(cast: Cast, encoding: str) -> None:
    id_number = new_id()
    data = csv_bytes(
        [["王五", id_number, "安全管理人员", "安环部", "2026/1/5", "", "", "wang@example.com"]], encoding=encoding
    )
    result = run(cast, data, name="roster.csv")
    assert result.errors == []
    person = Person.objects.get(id_number=id_number)
    assert person.name == "王五"
    assert person.department == "安环部"
    assert person.post == Person.Post.SAFETY_MANAGER
    assert person.user.email == "wang@example.com"


@pytest.mark.django_db
def test_english_column_titles_and_posts(cast: Cast) -> None:
    id_number = new_id()
    header = ["Name", "ID number", "Post", "Department", "Hire date", "Phone"]
    data = csv_bytes([["Zhao Liu", id_number, "employee", "Store", "2026-01-05", "+86 139 0000 1234"]], header=header)
    result = run(cast, data, name="roster.csv")
    assert result.errors == []
    assert Person.objects.get(id_number=id_number).user.phone == "13900001234"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05", dt.date(2026, 1, 5)),
        ("2026/1/5", dt.date(2026, 1, 5)),
        ("2026年1月5日", dt.date(2026, 1, 5)),
        ("20260105", dt.date(2026, 1, 5)),
        (46027, dt.date(2026, 1, 5)),  # an Excel serial number from a cell that lost its date format
        (dt.datetime(2026, 1, 5), dt.date(2026, 1, 5)),
    ],
)
def test_date_formats(value: object, expected: dt.date) -> None:
    assert parse_date(value) == expected


# --- bad rows: row-numbered errors, nothing imported --------------------------------------


@pytest.mark.django_db
def test_bad_id_check_digit_imports_nothing(cast: Cast) -> None:
    good = person_row()
    bad_id = new_id()
    wrong = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")
    before = people_count()
    result = run(cast, xlsx([good, person_row(id_number=wrong)]))
    assert result.refused
    assert errors_of(result) == {(3, "身份证号")}
    assert "GB 11643" in result.errors[0].message
    assert bad_id not in result.errors[0].message
    assert wrong not in result.errors[0].message
    assert people_count() == before
    assert result.created == 0
    assert result.credentials == []


@pytest.mark.django_db
def test_bad_dates_are_reported_by_row_and_column(cast: Cast) -> None:
    before = people_count()
    result = run(
        cast,
        xlsx(
            [
                person_row(hire="2026-02-30"),
                person_row(hire="next monday"),
                person_row(hire="2026-03-01", leave="2026-02-01"),
                person_row(),
            ]
        ),
    )
    assert errors_of(result) == {(2, "入职日期"), (3, "入职日期"), (4, "离职日期")}
    assert "2026-02-30" in result.errors[0].message
    assert people_count() == before


@pytest.mark.django_db
def test_duplicate_rows_flag_every_copy(cast: Cast) -> None:
    id_number = new_id()
    phone = new_phone()
    before = people_count()
    result = run(
        cast,
        xlsx(
            [
                person_row(id_number=id_number),
                person_row(),
                person_row(id_number=id_number),
                person_row(phone=phone),
                person_row(phone=phone),
            ]
        ),
    )
    assert errors_of(result) == {(2, "身份证号"), (4, "身份证号"), (5, "手机号"), (6, "手机号")}
    assert "4" in next(e.message for e in result.errors if e.row == 2)
    assert people_count() == before


@pytest.mark.django_db
def test_missing_values_unknown_post_and_bad_phone(cast: Cast) -> None:
    result = run(
        cast,
        xlsx(
            [
                ["", new_id(), "从业人员", "", "2026-01-05", None, None, None],
                person_row(post="老板"),
                person_row(phone="12345"),
                person_row(email="not-an-email"),
            ]
        ),
    )
    assert errors_of(result) == {(2, "姓名"), (3, "岗位"), (4, "手机号"), (5, "邮箱")}


@pytest.mark.django_db
def test_missing_required_column_is_named(cast: Cast) -> None:
    result = run(cast, xlsx([["张三", new_id(), "一车间"]], header=["姓名", "身份证号", "部门"]))
    assert result.refused
    messages = " ".join(e.message for e in result.errors)
    assert "岗位" in messages
    assert "入职日期" in messages


@pytest.mark.django_db
def test_title_rows_above_the_header_keep_excel_row_numbers(cast: Cast) -> None:
    book = xlsx([["东区化工厂员工花名册"], [], HEADER, person_row(), person_row(hire="2026-13-01")], header=None)
    result = run(cast, book)
    assert errors_of(result) == {(5, "入职日期")}


@pytest.mark.django_db
def test_id_number_typed_as_a_number_is_refused(cast: Cast) -> None:
    row = person_row()
    row[1] = int(row[1][:17] + "0")  # Excel keeps 15 digits of it
    result = run(cast, xlsx([row], id_as_text=False))
    assert errors_of(result) == {(2, "身份证号")}
    assert "text" in result.errors[0].message or "文本" in result.errors[0].message


@pytest.mark.django_db
def test_phone_of_another_account_is_refused(cast: Cast) -> None:
    taken = new_phone()
    factories.make_user("someone", phone=taken)
    result = run(cast, xlsx([person_row(phone=taken)]))
    assert errors_of(result) == {(2, "手机号")}


@pytest.mark.django_db
def test_person_of_another_enterprise_is_not_moved(cast: Cast) -> None:
    west = cast.west.learner
    result = run(cast, xlsx([person_row(id_number=west.id_number)]))
    assert errors_of(result) == {(2, "身份证号")}
    assert cast.west.enterprises[0].name not in result.errors[0].message
    west.refresh_from_db()
    assert west.enterprise == cast.west.enterprises[0]


@pytest.mark.django_db
def test_errors_speak_the_users_language(cast: Cast) -> None:
    data = xlsx([person_row(hire="2026-02-30")])
    with translation.override("en"):
        english = run(cast, data).errors[0].message
    with translation.override("zh-hans"):
        chinese = run(cast, data).errors[0].message
    assert "is not a valid date" in english
    assert "不是有效的日期" in chinese


# --- valid-only, dry run, idempotence, updates ---------------------------------------------


@pytest.mark.django_db
def test_valid_only_imports_the_good_rows(cast: Cast) -> None:
    good = new_id()
    result = run(cast, xlsx([person_row(hire="yesterday"), person_row(id_number=good)]), valid_only=True)
    assert errors_of(result) == {(2, "入职日期")}
    assert not result.refused
    assert (result.created, result.skipped) == (1, 1)
    assert Person.objects.filter(id_number=good).exists()
    assert [c.row for c in result.credentials] == [3]


@pytest.mark.django_db
def test_dry_run_writes_nothing(cast: Cast) -> None:
    before = people_count()
    result = run(cast, xlsx([person_row(), person_row()]), dry_run=True)
    assert result.created == 2
    assert result.credentials == []
    assert people_count() == before


@pytest.mark.django_db
def test_reimport_is_idempotent_and_counts_updates(cast: Cast) -> None:
    rows = [person_row(name="甲"), person_row(name="乙"), person_row(name="丙", phone=new_phone())]
    first = run(cast, xlsx(rows))
    assert first.created == 3
    before = people_count()

    again = run(cast, xlsx(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert again.credentials == []
    assert people_count() == before

    rows[1][3] = "二车间"
    rows[2][5] = dt.date(2026, 6, 30)
    changed = run(cast, xlsx(rows))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 1)
    assert people_count() == before
    assert Person.objects.get(id_number=rows[1][1]).department == "二车间"
    assert Person.objects.get(id_number=rows[2][1]).leave_date == dt.date(2026, 6, 30)


# --- refused files ----------------------------------------------------------------------


@pytest.mark.django_db
def test_text_file_renamed_xlsx_is_refused(cast: Cast) -> None:
    with pytest.raises(UploadRejected, match=r"\.xlsx"):
        run(cast, "姓名,身份证号\n张三,1\n".encode(), name="roster.xlsx")


@pytest.mark.django_db
def test_binary_file_is_refused(cast: Cast) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    with pytest.raises(UploadRejected, match="neither"):
        run(cast, png, name="roster.png")


@pytest.mark.django_db
def test_oversized_file_is_refused(cast: Cast, settings: object) -> None:
    settings.UPLOAD_MAX_BYTES = 1_048_576  # type: ignore[attr-defined]
    big = csv_bytes([person_row() for _ in range(1)]) + b"#" * 1_500_000
    with pytest.raises(UploadRejected, match="1.0 MB"):
        run(cast, big, name="roster.csv")


@pytest.mark.django_db
def test_zip_bomb_is_refused_before_parsing(cast: Cast) -> None:
    bomb = zip_bomb(40 * 1_048_576)
    assert len(bomb) < 200_000
    with pytest.raises(UploadRejected, match="zip bomb"):
        run(cast, bomb)


@pytest.mark.django_db
def test_zip_bomb_over_the_total_limit_is_refused(cast: Cast, settings: object) -> None:
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 8 * 1_048_576  # type: ignore[attr-defined]
    with pytest.raises(UploadRejected, match="zip bomb"):
        run(cast, zip_bomb(10 * 1_048_576))


@pytest.mark.django_db
def test_zip_bomb_with_a_lying_directory_is_refused(cast: Cast) -> None:
    with pytest.raises(UploadRejected, match="zip bomb"):
        run(cast, lying_zip_bomb())


@pytest.mark.django_db
def test_workbook_with_xml_entities_is_refused(cast: Cast) -> None:
    with pytest.raises(UploadRejected, match="entities|实体"):
        run(cast, workbook_with_dtd())


def test_openpyxl_parses_through_defusedxml() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML


# --- the management command ---------------------------------------------------------------


def write(tmp_path: Path, data: bytes, name: str = "roster.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.django_db
def test_command_imports_and_writes_credentials(cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    enterprise = cast.east.enterprises[0]
    rows = [person_row(), person_row()]
    out = tmp_path / "credentials.csv"
    call_command(
        "import_employees", write(tmp_path, xlsx(rows)), enterprise=enterprise.credit_code, credentials_out=str(out)
    )
    printed = capsys.readouterr().out
    assert "2" in printed
    assert os.stat(out).st_mode & 0o777 == 0o600
    lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(lines) == 3
    username, password = lines[1][2], lines[1][3]
    assert password not in printed
    user = User.objects.get(username=username)
    assert user.check_password(password)
    assert user.person.enterprise == enterprise
    for row in rows:
        assert row[1] not in printed  # ID numbers are never printed


@pytest.mark.django_db
def test_command_refuses_a_bad_credit_code(cast: Cast, tmp_path: Path) -> None:
    code = cast.east.enterprises[0].credit_code
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(CommandError, match="GB 32100|check character|校验"):
        call_command("import_employees", write(tmp_path, xlsx([person_row()])), enterprise=wrong)
    assert not Person.objects.exclude(pk__in=[cast.east.learner.pk, cast.west.learner.pk]).exists()


@pytest.mark.django_db
def test_command_refuses_an_unknown_enterprise(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="91990101MA0000099|credit code|信用代码"):
        call_command(
            "import_employees",
            write(tmp_path, xlsx([person_row()])),
            enterprise=factories.credit_code("990109"),
        )


@pytest.mark.django_db
def test_command_with_errors_exits_nonzero_and_imports_nothing(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = people_count()
    path = write(tmp_path, xlsx([person_row(), person_row(hire="2026-02-30")]))
    with translation.override("en"), pytest.raises(CommandError):
        call_command("import_employees", path, enterprise=cast.east.enterprises[0].credit_code)
    assert "row 3 [入职日期]" in capsys.readouterr().err
    assert people_count() == before


@pytest.mark.django_db
def test_command_valid_only_and_dry_run(cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cast.east.enterprises[0].credit_code
    path = write(tmp_path, csv_bytes([person_row(), person_row(hire="2026-02-30")]), "roster.csv")
    before = people_count()
    call_command("import_employees", path, enterprise=code, valid_only=True, dry_run=True)
    assert people_count() == before
    call_command("import_employees", path, enterprise=code, valid_only=True)
    assert Person.objects.count() == before[0] + 1
    # Without --credentials-out the one new account is printed once, for the admin.
    assert "u" in capsys.readouterr().out


def test_command_exit_status_is_nonzero(tmp_path: Path) -> None:
    """Run as a real process, as an admin would: a file with errors exits 1."""
    import subprocess
    import sys

    path = write(tmp_path, b"not,a,roster\n", "roster.csv")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    completed = subprocess.run(
        [sys.executable, "manage.py", "import_employees", path, "--enterprise", "not-a-code"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert completed.returncode == 1
    assert "enterprise" in completed.stderr


# --- the first sign-in of an imported account ------------------------------------------------


@pytest.mark.django_db
def test_imported_account_must_change_password_at_first_login(cast: Cast) -> None:
    result = run(cast, xlsx([person_row(phone=new_phone())]))
    credential = result.credentials[0]

    # Signs in with what the admin handed out: the username and the one-time password.
    client = Client()
    response = client.post(reverse("account_login"), {"login": credential.username, "password": credential.password})
    assert response.status_code == 302
    # Whatever page they try first, they land on the change-password form.
    response = client.get(reverse("organizations:my_profile"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")
    response = client.get(response["Location"])
    assert response.status_code == 200

    new_password = "Fresh-Start-2026!"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": credential.password, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    user = User.objects.get(username=credential.username)
    assert not user.must_change_password
    assert user.check_password(new_password)
    assert client.get(reverse("organizations:my_profile")).status_code == 200


@pytest.mark.django_db
def test_rehire_without_a_leave_date_column_is_explained(cast: Cast) -> None:
    learner = cast.east.learner
    Person.objects.filter(pk=learner.pk).update(leave_date=dt.date(2026, 3, 1))
    header = ["姓名", "身份证号", "岗位", "入职日期"]
    result = run(cast, xlsx([[learner.name, learner.id_number, "从业人员", "2026-04-01"]], header=header))
    assert errors_of(result) == {(2, "入职日期")}
    learner.refresh_from_db()
    assert learner.hire_date == dt.date(2026, 1, 5)


@pytest.mark.django_db
def test_two_columns_for_one_field_are_refused_naming_both(cast: Cast) -> None:
    before = people_count()
    header = ["姓名", "身份证号", "岗位", "入职日期", "员工姓名"]
    result = run(cast, xlsx([["张三", new_id(), "从业人员", "2026-01-05", "张三"]], header=header))
    assert result.refused
    assert errors_of(result) == {(1, "员工姓名")}
    assert "“姓名”" in result.errors[0].message
    assert "“员工姓名”" in result.errors[0].message
    assert people_count() == before
