"""The roster page: upload for enterprise admins, scoped to the enterprises they manage."""

from __future__ import annotations

import base64
import csv
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from demo.library import lesson_plan_docx
from organizations.models import Person
from tests.conftest import Cast, login_client
from tests.organizations.test_roster_import import HEADER, csv_bytes, new_id, person_row, xlsx, zip_bomb

ROSTER = reverse("organizations:roster")
TEMPLATE = reverse("organizations:roster_template")


def upload(client: Client, enterprise_pk: int, data: bytes, name: str = "roster.xlsx", mode: str = "import") -> Any:
    return client.post(
        ROSTER,
        {"enterprise": enterprise_pk, "mode": mode, "file": SimpleUploadedFile(name, data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.django_db
def test_enterprise_admin_sees_the_upload_form_for_their_enterprise_only(cast: Cast) -> None:
    response = login_client(cast.east.enterprise_admin).get(ROSTER)
    assert response.status_code == 200
    page = response.content.decode()
    assert cast.east.enterprises[0].name in page
    assert cast.west.enterprises[0].name not in page
    assert cast.east.enterprises[1].name not in page  # not theirs either
    assert 'type="file"' in page
    assert TEMPLATE in page


@pytest.mark.django_db
def test_upload_imports_and_shows_credentials_once(cast: Cast) -> None:
    enterprise = cast.east.enterprises[0]
    rows = [person_row(name="张三"), person_row(name="李四")]
    response = upload(login_client(cast.east.enterprise_admin), enterprise.pk, xlsx(rows))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert Person.objects.filter(enterprise=enterprise, id_number__in=[r[1] for r in rows]).count() == 2
    page = response.content.decode()
    # The one-time passwords are on the page and in the CSV link, and they work.
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page)
    assert href
    lines = list(csv.reader(io.StringIO(base64.b64decode(href.group(1)).decode("utf-8-sig"))))
    assert len(lines) == 3
    for _row, name, username, password in lines[1:]:
        assert username in page
        assert password in page
        user = User.objects.get(username=username)
        assert user.display_name == name
        assert user.check_password(password)
        assert user.must_change_password
    # ID numbers are not echoed back.
    for row in rows:
        assert row[1] not in page


@pytest.mark.django_db
def test_upload_with_errors_shows_the_row_table_and_imports_nothing(cast: Cast) -> None:
    before = Person.objects.count()
    data = csv_bytes([person_row(), person_row(hire="2026-02-30")], encoding="gb18030")
    response = upload(login_client(cast.east.enterprise_admin), cast.east.enterprises[0].pk, data, "roster.csv")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<td data-label="[^"]*">3</td><td data-label="[^"]*">入职日期</td>', page)
    assert "Nothing was imported" in page
    assert Person.objects.count() == before


@pytest.mark.django_db
def test_dry_run_and_valid_only_modes(cast: Cast) -> None:
    client = login_client(cast.east.enterprise_admin)
    enterprise = cast.east.enterprises[0]
    good = new_id()
    data = xlsx([person_row(id_number=good), person_row(hire="bad")])
    before = Person.objects.count()

    response = upload(client, enterprise.pk, data, mode="dry_run")
    assert "nothing was written" in response.content.decode()
    assert Person.objects.count() == before

    response = upload(client, enterprise.pk, data, mode="valid_only")
    page = response.content.decode()
    assert re.search(r'data-count="created">1<', page)
    assert "1 row with errors was skipped" in page
    assert Person.objects.filter(id_number=good, enterprise=enterprise).exists()


@pytest.mark.django_db
def test_refused_files_get_a_clear_message(cast: Cast, settings: Any) -> None:
    client = login_client(cast.east.enterprise_admin)
    pk = cast.east.enterprises[0].pk
    page = upload(client, pk, b"hello, this is text\n", "roster.xlsx").content.decode()
    assert "is not an Excel workbook" in page
    page = upload(client, pk, lesson_plan_docx("花名册"), "roster.xlsx").content.decode()
    assert "The file is a Word document, not an Excel workbook" in page
    page = upload(client, pk, zip_bomb(30 * 1_048_576)).content.decode()
    assert "zip bomb" in page
    settings.UPLOAD_MAX_BYTES = 1_048_576
    page = upload(client, pk, b"a" * 1_200_000, "roster.csv").content.decode()
    assert "the limit is 1.0 MB" in page


@pytest.mark.django_db
def test_other_enterprise_admin_cannot_import_into_east(cast: Cast) -> None:
    before = Person.objects.count()
    response = upload(login_client(cast.west.enterprise_admin), cast.east.enterprises[0].pk, xlsx([person_row()]))
    assert response.status_code == 404
    assert Person.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "learner", "bureau", "training_admin"])
def test_users_without_an_enterprise_to_manage_are_refused(cast: Cast, who: str) -> None:
    user = {
        "outsider": cast.outsider,
        "learner": cast.east.learner.user,
        "bureau": cast.east.bureau,
        "training_admin": cast.east.training_admin,
    }[who]
    client = login_client(user)
    before = Person.objects.count()
    assert client.get(ROSTER).status_code == 403
    assert upload(client, cast.east.enterprises[0].pk, xlsx([person_row()])).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert Person.objects.count() == before


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(cast: Cast) -> None:
    response = Client().get(ROSTER)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_template_download_round_trips(cast: Cast) -> None:
    client = login_client(cast.east.enterprise_admin)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 2
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["B2"].number_format == "@"  # ID numbers stay text
    red = [c.value for c in sheet[1] if c.font.color is not None and c.font.color.rgb == "00C00000"]
    assert red == ["姓名", "身份证号", "岗位", "入职日期"]  # the required titles
    # The filled-in template imports as is.
    id_number = new_id()
    sheet.append(person_row(id_number=id_number, phone="13912345678"))
    out = io.BytesIO()
    book.save(out)
    result = upload(client, cast.east.enterprises[0].pk, out.getvalue())
    assert result.status_code == 200
    assert Person.objects.get(id_number=id_number).user.phone == "13912345678"


@pytest.mark.django_db
def test_who_keeps_several_rosters_names_the_enterprise_and_hundreds_are_not_listed(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An enterprise admin of one has it chosen; someone who keeps several must choose (a file sent
    without choosing is refused with the field named and writes nothing); a platform admin's
    hundreds of enterprises are not listed on the page, which points to the searchable list."""
    one = login_client(cast.east.enterprise_admin).get(ROSTER).content.decode()
    select = re.search(r'<select name="enterprise".*?</select>', one, re.S).group(0)
    assert re.findall(r'<option value="(\d*)"', select) == [str(cast.east.enterprises[0].pk)]

    admin = login_client(cast.platform_admin)
    page = admin.get(ROSTER).content.decode()
    assert '<option value="" selected>请选择企业</option>' in page
    before = Person.objects.count()
    response = admin.post(
        ROSTER, {"mode": "import", "file": SimpleUploadedFile("roster.xlsx", xlsx([person_row(name="张三")]))}
    )
    assert response.status_code == 200
    assert Person.objects.count() == before
    assert 'id="id_enterprise_error"><li>该字段是必填项。</li>' in response.content.decode()

    monkeypatch.setattr("organizations.views.ROSTER_LISTED", 1)  # the test world has a handful, not hundreds
    page = admin.get(ROSTER).content.decode()
    assert "data-all-enterprises" in page
    assert reverse("organizations:enterprise_list") in page
    assert "员工名单：查询编辑、离职、一人一档" not in page
