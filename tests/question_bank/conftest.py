from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pytest

from question_bank import importers, services
from question_bank.models import Bank, Question
from tests.support.questions import sheet_header

HEADER = sheet_header("ABCD")

# A small bank in the layout real banks use, one row per type.
ROWS = [
    [
        1,
        "单选题",
        "我国的火灾报警电话是？",
        "110",
        "119",
        "120",
        "122",
        "B",
        "火警119。",
        "易",
        "消防器材",
        "通用",
        "全员",
    ],
    [
        2,
        "多选题",
        "动火作业前应做好哪些准备？",
        "办理作业票",
        "清理可燃物",
        "配备灭火器",
        "关闭报警器",
        "ABC",
        "",
        3,
        "动火作业",
        "危险化学品、冶金",
        "焊工",
    ],
    [
        3,
        "判断题",
        "进入受限空间前应先通风、再检测、后作业。",
        "",
        "",
        "",
        "",
        "正确",
        "三步顺序不能颠倒。",
        "较易",
        "受限空间",
        "危险化学品",
        "全员",
    ],
    [
        4,
        "填空题",
        "安全生产方针是安全第一、____、综合治理。",
        "",
        "",
        "",
        "",
        "预防为主",
        "安全生产法第三条。",
        2,
        "安全生产法",
        "通用",
        "主要负责人",
    ],
]


def xlsx_bytes(
    rows: Iterable[list[Any]],
    header: list[str] | None = HEADER,
    sheet: str = "题库",
    merges: Iterable[str] = (),
    extra_sheets: Iterable[str] = (),
) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    for name in extra_sheets:
        book.create_sheet(name, 0).append(["not", "questions"])
    ws.title = sheet
    if header is not None:
        ws.append(header)
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def csv_bytes(rows: Iterable[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    import csv

    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode(encoding)


def parse(data: bytes, name: str = "bank.xlsx") -> importers.ParseResult:
    return importers.validate(importers.read_file(data, name))


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    # Tests of the parser and services read messages in English (the source
    # strings); pages are checked in Chinese where the user sees them.
    from django.utils import translation

    with translation.override("en"):
        yield


def make_east_practice_bank(
    cast: Any, *, code: str, name: str, rows: list[list[Any]] | None = ROWS, file_name: str = "east.xlsx"
) -> Bank:
    """A practice bank of the east provider, shared with the east district, holding ``rows``
    (imported from an xlsx called ``file_name``; None: an empty bank)."""
    bank = services.bank_create(
        actor=None,
        purpose=Bank.Purpose.PRACTICE,
        code=code,
        name=name,
        owner=cast.east.provider,
        visibility=Bank.Visibility.SHARED,
        shared_with=cast.east.jurisdiction,
    )
    if rows is not None:
        services.import_file(bank=bank, data=xlsx_bytes(rows), name=file_name)
    return bank


@pytest.fixture
def east_bank(cast: Any) -> Bank:
    """An east-provider bank shared with the east district, holding ROWS."""
    return make_east_practice_bank(cast, code="east-bank", name="东区安全题库")


@pytest.fixture
def east_question(east_bank: Bank) -> Question:
    return Question.objects.filter(bank=east_bank, type="single").get()
