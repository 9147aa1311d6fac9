"""The browser import journey: unknown column titles mapped by the admin, a preview as learners
will see the questions, an honest summary; and the same mapping on the API door."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from organizations.models import RoleGrant
from question_bank import importers, services
from question_bank.models import Bank, ColumnMapping, ImportJob, Question
from tests import factories
from tests.conftest import login_client
from tests.question_bank.conftest import ROWS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

# Titles from another exam system: none of them is one the importer recognises.
ODD_HEADER = ["编号", "种类", "考题", "甲项", "乙项", "丙项", "丁项", "对的", "讲评", "备注"]
ODD_ROWS = [
    [1, "单选题", "发现火灾应拨打的电话是？", "110", "119", "120", "122", "B", "火警电话119。", "旧题"],
    [2, "判断题", "安全帽可以用来盛水。", "", "", "", "", "错误", "", ""],
    [3, "多选题", "灭火的基本方法有哪些？", "隔离法", "窒息法", "冷却法", "通风法", "ABC", "", ""],
]
# column index -> field: 编号 and 备注 are ignored.
ODD_MAP = {
    0: None,
    1: "type",
    2: "stem",
    3: "option_a",
    4: "option_b",
    5: "option_c",
    6: "option_d",
    7: "answer",
    8: "explanation",
    9: None,
}


def odd_csv() -> bytes:
    return csv_bytes(ODD_ROWS, header=ODD_HEADER)


def _upload(client: Any, bank: Bank, data: bytes, name: str = "other-system.csv", **extra: Any) -> Any:
    return client.post(
        reverse("question_bank:import_upload", args=[bank.pk]), {"file": SimpleUploadedFile(name, data), **extra}
    )


def _map_post(client: Any, job: ImportJob, column_map: dict[int, str | None]) -> Any:
    data = {f"col_{index}": key or "" for index, key in column_map.items()}
    return client.post(reverse("question_bank:import_map", args=[job.pk]), data)


def _staged_bank_file(cast: Any, bank: Bank) -> tuple[Any, ImportJob]:
    """The east training admin's client and the staged job of a file in the bank's own layout (ROWS)."""
    client = login_client(cast.east.training_admin)
    _upload(client, bank, xlsx_bytes(ROWS), name="bank.xlsx")
    return client, ImportJob.objects.get()


def _run_queued() -> None:
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED):
        services.import_job_run(job_id=job.pk)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _current_step(html: str) -> list[str]:
    """The import steps the page marks as its own (exactly one)."""
    return re.findall(r'<li aria-current="step">([^<]*)</li>', html)


# --- the whole journey ---------------------------------------------------------------


def test_unknown_titles_are_mapped_previewed_and_imported(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_client(cast.east.training_admin)
    before = Question.objects.filter(bank=east_bank).count()

    response = _upload(client, east_bank, odd_csv())
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.STAGED
    assert response["Location"] == reverse("question_bank:import_map", args=[job.pk])

    page = client.get(response["Location"]).content.decode()
    assert _current_step(page) == ["列对应"]
    text = _text(page)
    assert "每一列是什么" in text
    assert "没有认出列标题" in text  # says why it asks
    for title in ("种类", "考题", "对的", "讲评", "备注"):
        assert title in text
    assert "发现火灾应拨打的电话是？" in text  # a sample row under each title
    assert "— 忽略此列 —" in text
    assert Question.objects.filter(bank=east_bank).count() == before

    response = _map_post(client, job, ODD_MAP)
    assert response["Location"] == reverse("question_bank:import_preview", args=[job.pk])
    preview_page = client.get(response["Location"]).content.decode()
    assert _current_step(preview_page) == ["预览"]
    preview = _text(preview_page)
    assert "目前还没有保存任何题目" in preview
    assert "现在导入将新建 3 道、更新 0 道、0 道未变；0 行有错误。" in preview
    assert "发现火灾应拨打的电话是？" in preview
    assert "A. 110" in preview
    assert "答案： B. 119" in preview
    assert "火警电话119。" in preview
    assert "正确 错误 答案： 错误" in preview  # true/false: both choices, then the key
    assert "A. 隔离法、B. 窒息法、C. 冷却法" in preview
    assert "忽略的列： 编号、备注" in preview
    assert Question.objects.filter(bank=east_bank).count() == before  # still nothing written

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("question_bank:import_preview", args=[job.pk]), {})
    assert callbacks
    assert response["Location"] == reverse("question_bank:import_job", args=[job.pk])
    _run_queued()
    created = Question.objects.get(bank=east_bank, stem="发现火灾应拨打的电话是？")
    assert created.answer == "B"
    assert created.options == ["110", "119", "120", "122"]
    assert created.explanation == "火警电话119。"
    assert Question.objects.get(bank=east_bank, stem="安全帽可以用来盛水。").answer is False
    assert Question.objects.get(bank=east_bank, stem="灭火的基本方法有哪些？").answer == "ABC"
    summary = _text(client.get(reverse("question_bank:import_job", args=[job.pk])).content.decode())
    assert "3 道新建 / 0 道更新 / 0 道未变 / 0 个错误" in summary
    assert "忽略的列： 编号、备注" in summary
    job.refresh_from_db()
    assert job.payload in (b"", memoryview(b""))  # the upload is not kept after the import


def test_the_mapping_is_remembered_for_the_bank_and_prefilled(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    _upload(client, east_bank, odd_csv())
    first = ImportJob.objects.get()
    _map_post(client, first, ODD_MAP)
    saved = ColumnMapping.objects.get(bank=east_bank)
    assert saved.headers == ODD_HEADER
    assert services.loaded_map(saved.column_map) == ODD_MAP

    # The same titles next time (other rows): the mapping page comes back filled in.
    response = _upload(client, east_bank, csv_bytes(ODD_ROWS[:1], header=ODD_HEADER), name="again.csv")
    second = ImportJob.objects.exclude(pk=first.pk).get()
    assert response["Location"] == reverse("question_bank:import_map", args=[second.pk])
    page = client.get(response["Location"]).content.decode()
    assert "已按你上次为本题库导入相同列标题的文件时的对应关系预先填好" in page
    assert re.search(r'name="col_2"[^>]*>.*?<option value="stem" selected>', page, re.S)
    assert re.search(r'name="col_7"[^>]*>.*?<option value="answer" selected>', page, re.S)
    assert re.search(r'name="col_9"[^>]*>\s*<option value="" selected>', page, re.S)

    # Another bank does not inherit it: its page guesses from the titles (and knows none of these).
    other = services.bank_create(actor=None, code="east-other", name="另一个题库", owner=cast.east.provider)
    _upload(client, other, odd_csv())
    third = ImportJob.objects.get(bank=other)
    page = client.get(reverse("question_bank:import_map", args=[third.pk])).content.decode()
    assert "预先填好" not in page
    assert not re.search(r'<option value="stem" selected>', page)


def test_recognised_headers_go_straight_to_the_preview_unless_mapping_is_asked(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    response = _upload(client, east_bank, xlsx_bytes(ROWS), name="bank.xlsx")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("question_bank:import_preview", args=[job.pk])
    preview = _text(client.get(response["Location"]).content.decode())
    assert "现在导入将新建 0 道、更新 0 道、4 道未变" in preview  # the fixture bank already holds ROWS

    response = _upload(client, east_bank, xlsx_bytes(ROWS), name="bank.xlsx", map_columns="on")
    asked = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("question_bank:import_map", args=[asked.pk])
    page = client.get(response["Location"]).content.decode()
    assert "没有认出列标题" not in page
    # Pre-filled from the recognised titles.
    assert re.search(r'name="col_1"[^>]*>.*?<option value="type" selected>', page, re.S)
    assert re.search(r'name="col_2"[^>]*>.*?<option value="stem" selected>', page, re.S)


def test_preview_shows_row_errors_and_nothing_written_says_so(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_client(cast.east.training_admin)
    rows = [list(r) for r in ODD_ROWS]
    rows[0][7] = "E"  # names an option the question does not have
    _upload(client, east_bank, csv_bytes(rows, header=ODD_HEADER))
    job = ImportJob.objects.get()
    _map_post(client, job, ODD_MAP)
    preview = _text(client.get(reverse("question_bank:import_preview", args=[job.pk])).content.decode())
    assert "1 行有错误" in preview
    assert "对的" in preview  # the error names the file's own column title
    assert "E" in preview
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("question_bank:import_preview", args=[job.pk]), {})
    _run_queued()
    summary = _text(client.get(reverse("question_bank:import_job", args=[job.pk])).content.decode())
    assert "未保存任何题目：有 1 行错误" in summary
    assert "道新建" not in summary
    assert 'data-count="created"' not in summary
    assert not Question.objects.filter(stem="安全帽可以用来盛水。").exists()


def test_valid_rows_only_is_chosen_on_the_preview(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_client(cast.east.training_admin)
    rows = [list(r) for r in ODD_ROWS]
    rows[0][7] = "E"
    _upload(client, east_bank, csv_bytes(rows, header=ODD_HEADER))
    job = ImportJob.objects.get()
    _map_post(client, job, ODD_MAP)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("question_bank:import_preview", args=[job.pk]), {"valid_only": "on"})
    _run_queued()
    summary = _text(client.get(reverse("question_bank:import_job", args=[job.pk])).content.decode())
    assert "2 道新建 / 0 道更新 / 0 道未变 / 1 个错误" in summary
    assert "1 行有错误，已跳过" in summary
    assert Question.objects.filter(stem="安全帽可以用来盛水。").exists()


def test_reimport_of_the_same_file_says_nothing_new(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client, job = _staged_bank_file(cast, east_bank)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("question_bank:import_preview", args=[job.pk]), {})
    _run_queued()
    summary = _text(client.get(reverse("question_bank:import_job", args=[job.pk])).content.decode())
    assert "0 道新建 / 0 道更新 / 4 道未变 / 0 个错误" in summary
    assert "没有新题目" in summary


# --- bad mappings and stale uploads: a clear error, nothing written ----------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({2: None}, "没有任何列对应到 题干"),
        ({1: None, 7: None}, "没有任何列对应到 题型、答案"),
        ({8: "stem"}, "C(2)、I(8) 列都对应到了“题干”"),
    ],
)
def test_a_bad_mapping_is_refused_and_nothing_is_written(
    cast: Any, east_bank: Bank, change: dict[int, str | None], message: str
) -> None:
    client = login_client(cast.east.training_admin)
    _upload(client, east_bank, odd_csv())
    job = ImportJob.objects.get()
    response = _map_post(client, job, {**ODD_MAP, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    job.refresh_from_db()
    assert job.column_map is None
    assert job.status == ImportJob.Status.STAGED
    assert not ColumnMapping.objects.exists()


def test_the_service_names_a_column_out_of_range_and_an_unknown_field(cast: Any, east_bank: Bank) -> None:
    upload = SimpleUploadedFile("x.csv", odd_csv())
    job = services.import_stage(bank=east_bank, user=cast.east.training_admin, upload=upload)
    with pytest.raises(ValidationError) as out_of_range:
        services.import_staged_map(
            job=job, user=cast.east.training_admin, column_map={**ODD_MAP, 12: "knowledge_point"}
        )
    assert "Column 12 is out of range: the file has 10 columns (0 to 9)." in out_of_range.value.messages
    with pytest.raises(ValidationError) as unknown:
        services.import_staged_map(job=job, user=cast.east.training_admin, column_map={**ODD_MAP, 9: "remarks"})
    assert any("“remarks” (column 9) is not a field" in m for m in unknown.value.messages)
    job.refresh_from_db()
    assert job.column_map is None
    assert not ColumnMapping.objects.exists()


def test_an_expired_upload_is_refused_everywhere_and_nothing_is_written(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_client(cast.east.training_admin)
    _upload(client, east_bank, odd_csv())
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=job.created_at - services.IMPORT_STAGING_TTL - timedelta(minutes=1)
    )
    upload_page = reverse("question_bank:import_upload", args=[east_bank.pk])
    for response in (
        client.get(reverse("question_bank:import_map", args=[job.pk])),
        _map_post(client, job, ODD_MAP),
        client.get(reverse("question_bank:import_preview", args=[job.pk])),
    ):
        assert response["Location"] == upload_page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("question_bank:import_preview", args=[job.pk]), {})
    assert response["Location"] == upload_page
    assert not callbacks
    page = client.get(upload_page).content.decode()
    assert "这次上传已过期或已导入，请重新上传文件。" in page
    assert _current_step(page) == ["上传"]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.STAGED
    assert job.column_map is None
    assert not ColumnMapping.objects.exists()
    # The next upload clears uploads nobody confirmed in time.
    _upload(client, east_bank, odd_csv())
    assert not ImportJob.objects.filter(pk=job.pk).exists()


def test_confirming_twice_queues_one_import(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client, job = _staged_bank_file(cast, east_bank)
    url = reverse("question_bank:import_preview", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url, {})
        second = client.post(url, {})
    assert len(callbacks) == 1
    assert second["Location"] == reverse("question_bank:import_job", args=[job.pk])


def test_it_validates_ownership_of_a_staged_upload(cast: Any, east_bank: Bank) -> None:
    """A staged upload is its uploader's: another admin of the same provider, a west admin and the
    outsider all get 404 on its pages, and their posts change nothing."""
    colleague = factories.make_user("east_trainer_two")
    factories.grant(colleague, RoleGrant.Role.TRAINING_ADMIN, provider=cast.east.provider)
    _upload(login_client(cast.east.training_admin), east_bank, odd_csv())
    job = ImportJob.objects.get()
    for user in (colleague, cast.west.training_admin, cast.outsider):
        client = login_client(user)
        assert client.get(reverse("question_bank:import_map", args=[job.pk])).status_code == 404
        assert client.get(reverse("question_bank:import_preview", args=[job.pk])).status_code == 404
        assert _map_post(client, job, ODD_MAP).status_code == 404
        assert client.post(reverse("question_bank:import_preview", args=[job.pk]), {}).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.STAGED
    assert job.column_map is None
    # The colleague manages the bank, so the job page is theirs to read: it says who must act.
    page = login_client(colleague).get(reverse("question_bank:import_job", args=[job.pk])).content.decode()
    assert "等待上传者预览并确认导入；目前还没有保存任何题目。" in page
    assert "未保存任何题目：" not in page


# --- the importer hook -----------------------------------------------------------------


def test_column_map_bypasses_header_recognition_in_the_importer() -> None:
    with pytest.raises(importers.ImportRefused):
        importers.read_file(odd_csv(), "odd.csv")
    table = importers.read_file(odd_csv(), "odd.csv", column_map=ODD_MAP)
    parsed = importers.validate(table)
    assert [q.answer for q in parsed.questions] == ["B", False, "ABC"]
    assert table.mapped_ignored == ["编号", "备注"]
    assert table.labels["answer"] == "对的"
    # A title row above the header is not taken for it.
    with_title = xlsx_bytes([["题库（2024 版）"], ODD_HEADER, *ODD_ROWS], header=None)
    table = importers.read_file(with_title, "odd.xlsx", column_map=ODD_MAP)
    assert table.mapped_columns == ODD_HEADER
    assert [q.row for q in importers.validate(table).questions] == [3, 4, 5]


# --- the API door -------------------------------------------------------------------


def _api_upload(user: Any, bank: Bank, data: bytes, name: str, **fields: Any) -> Any:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        f"/api/v1/question-banks/{bank.pk}/imports/",
        {"file": SimpleUploadedFile(name, data), **fields},
        format="multipart",
    )


def test_api_imports_with_a_column_map(cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        response = _api_upload(
            cast.east.training_admin, east_bank, odd_csv(), "odd.csv", column_map=json.dumps(ODD_MAP)
        )
    assert response.status_code == 202, response.content
    _run_queued()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert job.result["counts"]["created"] == 3
    assert job.result["ignored_columns"] == ["编号", "备注"]
    assert Question.objects.get(bank=east_bank, stem="灭火的基本方法有哪些？").answer == "ABC"


@pytest.mark.parametrize(
    ("column_map", "name", "expected"),
    [
        ({**ODD_MAP, 9: "remarks"}, "odd.csv", "remarks"),
        ({**ODD_MAP, 15: "post"}, "odd.csv", "第 15 列超出范围：文件只有 10 列"),
        ({**ODD_MAP, "x": "post"}, "odd.csv", "“x”不是列号"),
        ({**ODD_MAP, 8: "answer"}, "odd.csv", "H(7)、I(8) 列都对应到了“答案”"),
        ({0: "type", 1: "stem"}, "odd.csv", "没有任何列对应到 答案"),
        (ODD_MAP, "bank.gift", "bank.gift 没有列"),
        ("not json", "odd.csv", "JSON"),
    ],
)
def test_api_refuses_a_bad_column_map_naming_it(
    cast: Any, east_bank: Bank, column_map: Any, name: str, expected: str
) -> None:
    raw = column_map if isinstance(column_map, str) else json.dumps(column_map)
    data = odd_csv() if name.endswith(".csv") else b"::Q1:: 2+2 {=4 ~5}\n"
    response = _api_upload(cast.east.training_admin, east_bank, data, name, column_map=raw)
    assert response.status_code == 400, response.content
    assert expected in json.dumps(response.json(), ensure_ascii=False)
    assert not ImportJob.objects.exists()


def test_a_workbook_with_a_title_row_shows_the_real_header_on_the_mapping_page(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    workbook = xlsx_bytes([["2024 年安全生产知识题库"], ODD_HEADER, *ODD_ROWS], header=None)
    response = _upload(client, east_bank, workbook, name="外来.xlsx")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("question_bank:import_map", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert page.count('class="card map-column"') == len(ODD_HEADER)
    assert '第 C 列：<span class="map-title">考题</span>' in page
    assert "灭火的基本方法有哪些？" in page
    _map_post(client, job, ODD_MAP)
    preview = _text(client.get(reverse("question_bank:import_preview", args=[job.pk])).content.decode())
    assert "现在导入将新建 3 道" in preview
    assert "第 3 行 · 单选题" in preview  # rows are counted as the workbook numbers them


def test_merged_type_groups_under_an_unknown_header_are_read_with_a_map() -> None:
    # A merged title row over every column, then 种类 merged down the rows of each group.
    rows = [["2024 年安全生产知识题库"], ODD_HEADER, *ODD_ROWS[:1], [*ODD_ROWS[0][:1], "", *ODD_ROWS[2][2:]]]
    rows[3][2] = "下列属于单选题的是？"
    rows[3][7] = "A"
    workbook = xlsx_bytes(rows, header=None, merges=["A1:J1", "B3:B4"])
    parsed = importers.validate(importers.read_file(workbook, "merged.xlsx", column_map=ODD_MAP))
    assert [(q.row, q.type, q.answer) for q in parsed.questions] == [(3, "single", "B"), (4, "single", "A")]
    assert parsed.errors == []
    across = xlsx_bytes([ODD_HEADER, *ODD_ROWS], header=None, merges=["C2:D2"])
    with pytest.raises(importers.ImportRefused, match="C2:D2"):
        importers.read_file(across, "across.xlsx", column_map=ODD_MAP)


def test_a_text_format_goes_straight_to_the_preview_without_columns(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    gift = "::Q1:: 我国的火警电话是？ {=119 ~110 ~120}\n\n::Q2:: 进入受限空间前应先通风。 {TRUE}\n".encode()
    response = _upload(client, east_bank, gift, name="moodle.gift", map_columns="on")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("question_bank:import_preview", args=[job.pk])
    assert client.get(reverse("question_bank:import_map", args=[job.pk]))["Location"] == response["Location"]
    html = client.get(response["Location"]).content.decode()
    preview = _text(html)
    assert "现在导入将新建 2 道" in preview
    assert "答案： A. 119" in preview
    assert "data-change-map" not in html  # a GIFT file has no columns to map
