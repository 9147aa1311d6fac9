"""Spreadsheets as other systems and real banks write them: one rule a test, through the real readers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.uploads import OLE_MAGIC, UploadRejected, check_spreadsheet
from question_bank import importers, services
from question_bank.importers import ImportRefused
from question_bank.models import Bank, ImportJob, Question
from tests.conftest import login_client
from tests.question_bank.conftest import csv_bytes, parse, xlsx_bytes

REAL = Path(__file__).parent / "real_world"


def _sheet(header: list[str], *rows: list[object], **kwargs: Any) -> importers.ParseResult:
    return parse(xlsx_bytes(list(rows), header=header, **kwargs))


# --- options in one cell ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "options"),
    [
        ("A.110 B.119 C.120 D.122", ("110", "119", "120", "122")),
        ("A、110 B、119 C、120", ("110", "119", "120")),
        ("Ａ．110　Ｂ．119　Ｃ．120", ("110", "119", "120")),  # full-width letters, marks and spaces
        ("A.110\nB.119\nC.120", ("110", "119", "120")),
        ("A.110；B.119；C.120", ("110", "119", "120")),
        ("**A.110**B.119**C.120**", ("110", "119", "120")),
        ("<p>A.110</p><p>B.119</p>", ("110", "119")),
        ("A.110|B.119|C.120", ("110", "119", "120")),
        ("(A)110 (B)119", ("110", "119")),
        ("A. 维生素B. 族 B. 119", ("维生素B. 族", "119")),  # a “B.” inside an option's text is text
    ],
)
def test_options_in_one_cell(cell: str, options: tuple[str, ...]) -> None:
    result = _sheet(["题型", "题目", "选项", "答案"], ["单选题", "火警电话是？", cell, "B"])
    assert result.errors == []
    assert result.questions[0].options == options
    assert result.questions[0].answer == "B"


@pytest.mark.parametrize("title", ["选项", "选项内容", "答案选项", "备选答案"])
def test_one_cell_option_column_titles(title: str) -> None:
    result = _sheet(["题型", "题干", title, "答案"], ["多选题", "灭火方法有？", "A.冷却 B.窒息 C.隔离", "AC"])
    assert (result.questions[0].options, result.questions[0].answer) == (("冷却", "窒息", "隔离"), "AC")


def test_options_cell_that_cannot_be_split_is_a_row_error_naming_the_column() -> None:
    result = _sheet(["题型", "题干", "选项内容", "答案"], ["单选题", "火警电话？", "110、119、120", "B"])
    assert result.questions == []
    assert [(e.row, e.column) for e in result.errors] == [(2, "选项内容")]
    assert "110、119、120" in result.errors[0].message


def test_per_option_columns_win_over_the_one_cell_column() -> None:
    result = _sheet(
        ["题型", "题干", "选项A", "选项B", "选项", "答案"], ["单选题", "火警电话？", "110", "119", "A.甲 B.乙", "B"]
    )
    assert result.questions[0].options == ("110", "119")


@pytest.mark.parametrize(
    ("cell", "answer", "truth"),
    [
        ("A.正确 B.错误", "A", True),
        ("A.正确 B.错误", "B", False),
        ("A、对 B、错", "b", False),
        ("A.√ B.×", "A", True),
        ("A.错误 B.正确", "A", False),  # the letter means what its option says
    ],
)
def test_true_false_with_options_in_one_cell_answered_by_letter(cell: str, answer: str, truth: bool) -> None:
    result = _sheet(["题型", "题干", "选项", "答案"], ["判断题", "电气火灾应先断电。", cell, answer])
    assert result.errors == []
    assert (result.questions[0].answer, result.questions[0].options) == (truth, ())


@pytest.mark.parametrize(("a", "b"), [("正确", "错误"), ("对", "错"), ("√", "×")])
def test_true_false_with_option_columns_answered_by_letter(a: str, b: str) -> None:
    result = _sheet(["题型", "题干", "A", "B", "答案"], ["是非题", "电气火灾应先断电。", a, b, "B"])
    assert result.errors == []
    assert result.questions[0].answer is False


# --- column titles, ignored columns -----------------------------------------------------


def test_other_systems_column_titles() -> None:
    header = ["试题分类", "问题内容", "选项A", "选项B", "题目答案", "解析说明", "难度等级"]
    result = _sheet(header + ["题型"], ["消防", "火警电话？", "110", "119", "B", "火警119。", "较易", "单选题"])
    q = result.questions[0]
    assert (q.knowledge_point, q.stem, q.answer, q.explanation, q.difficulty) == (
        "消防",
        "火警电话？",
        "B",
        "火警119。",
        2,
    )


@pytest.mark.parametrize(
    ("titles", "field"),
    [
        (("正确答案", "正确选项", "题目答案"), "answer"),
        (("问题内容", "试题内容", "题目", "题目（必填）：", "*题干"), "stem"),
        (("题目解析", "解析说明", "答案解析"), "explanation"),
        (("知识点分类", "试题分类", "考核点"), "knowledge_point"),
    ],
)
def test_column_title_aliases(titles: tuple[str, ...], field: str) -> None:
    values = {"answer": "B", "stem": "火警电话？", "explanation": "火警119。", "knowledge_point": "消防"}
    for title in titles:
        header = {"answer": "答案", "stem": "题干", "explanation": "解析", "knowledge_point": "知识点"}
        header[field] = title
        result = _sheet(["题型", *header.values(), "选项A", "选项B"], ["单选题", *values.values(), "110", "119"])
        assert result.errors == [], title
        assert getattr(result.questions[0], field) == values[field], title


def test_columns_nothing_is_read_from_are_listed_but_not_numbering_or_empty_ones() -> None:
    header = ["序号", "题型", "题干", "选项A", "选项B", "答案", "出题人", "备注", "分值"]
    result = _sheet(header, [1, "单选题", "火警电话？", "110", "119", "B", "张三", "", 2])
    assert result.ignored_columns == ["出题人", "分值"]  # 备注 holds nothing; 序号 only numbers the rows


@pytest.mark.django_db
def test_the_import_result_carries_the_ignored_columns() -> None:
    header = ["题型", "题干", "选项A", "选项B", "答案", "出题人"]
    bank = services.bank_create(actor=None, code="ignored", name="ignored", owner=None)
    result = services.import_file(
        bank=bank, data=xlsx_bytes([["单选题", "火警电话？", "110", "119", "B", "张三"]], header=header),
        name="b.xlsx", dry_run=True,
    )  # fmt: skip
    assert result.ignored_columns == ["出题人"]
    assert result.as_dict()["ignored_columns"] == ["出题人"]


# --- type names, difficulty ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "answer", "qtype"),
    [
        ("是非题", "对", "true_false"),
        ("判断正误", "错", "true_false"),
        ("单项选择题", "A", "single"),
        ("多项选择题", "AB", "multiple"),
        ("不定项选择题", "AB", "multiple"),
        ("填空", "冷却", "fill_blank"),
    ],
)
def test_type_names(name: str, answer: str, qtype: str) -> None:
    options = ["冷却", "窒息"] if qtype in ("single", "multiple") else ["", ""]
    result = _sheet(["题型", "题干", "选项A", "选项B", "答案"], [name, "灭火方法？", *options, answer])
    assert result.errors == []
    assert result.questions[0].type == qtype


def test_open_choice_with_one_right_answer_is_stored_as_single_choice_and_said_so() -> None:
    result = _sheet(["题型", "题干", "选项A", "选项B", "答案"], ["不定项选择题", "火警电话？", "110", "119", "B"])
    assert (result.questions[0].type, result.questions[0].answer) == ("single", "B")
    assert [(w.row, w.column) for w in result.warnings] == [(2, "题型")]
    assert "single-choice" in result.warnings[0].message


@pytest.mark.parametrize(
    ("written", "level"),
    [("易", 1), ("容易", 1), ("较易", 2), ("中", 3), ("中等", 3), ("较难", 4), ("难", 5), ("1", 1), (5, 5)],
)
def test_difficulty_words_and_numbers(written: object, level: int) -> None:
    result = _sheet(
        ["题型", "题干", "选项A", "选项B", "答案", "难度"], ["单选题", "火警？", "110", "119", "B", written]
    )
    assert result.questions[0].difficulty == level


def test_difficulty_out_of_range_is_a_row_error() -> None:
    result = _sheet(["题型", "题干", "选项A", "选项B", "答案", "难度"], ["单选题", "火警？", "110", "119", "B", 6])
    assert [(e.row, e.column) for e in result.errors] == [(2, "难度")]


# --- title rows and headers -----------------------------------------------------------


def test_merged_title_row_above_the_header_is_not_the_header() -> None:
    data = _with_rows_above(
        [["2026年度安全生产知识题库"]],
        ["题型", "题干", "选项A", "选项B", "答案"],
        [["单选题", "火警电话？", "110", "119", "B"]],
        merges=["A1:E1"],
    )
    result = parse(data)
    assert result.errors == []
    assert [(q.row, q.stem) for q in result.questions] == [(3, "火警电话？")]


def test_lone_title_cell_named_like_a_column_is_not_the_header() -> None:
    # “试题” is also a title for the stem column: alone in its row it is the sheet's title.
    data = _with_rows_above(
        [["试题"], []], ["题型", "题目", "A", "B", "答案"], [["单选题", "火警？", "110", "119", "B"]]
    )
    result = parse(data)
    assert [(q.row, q.stem, q.answer) for q in result.questions] == [(4, "火警？", "B")]


def test_no_header_found_lists_the_titles_of_the_first_rows() -> None:
    data = _with_rows_above([["安全知识竞赛"]], ["序号", "内容", "正确与否"], [[1, "火警电话是119", "对"]])
    with pytest.raises(ImportRefused) as refused:
        parse(data)
    message = str(refused.value)
    assert "No header row found" in message
    assert all(f"“{t}”" in message for t in ("安全知识竞赛", "序号", "内容", "正确与否"))


def test_missing_answer_column_lists_the_titles_found() -> None:
    with pytest.raises(ImportRefused) as refused:
        _sheet(["题型", "题干", "选项A", "参考"], ["单选题", "火警电话？", "110", "B"])
    assert "答案" in str(refused.value)
    assert "“参考”" in str(refused.value)


def test_merge_across_columns_below_the_header_is_still_refused() -> None:
    data = _with_rows_above(
        [["题库"]],
        ["题型", "题干", "选项A", "选项B", "答案"],
        [["单选题", "火警电话？", "110", "119", "B"]],
        merges=["A1:E1", "C3:D3"],
    )
    with pytest.raises(ImportRefused) as refused:
        parse(data)
    assert "C3:D3" in str(refused.value)
    assert "A1:E1" not in str(refused.value)


def _with_rows_above(
    above: list[list[object]], header: list[str], rows: list[list[object]], merges: list[str] = ()
) -> bytes:
    return xlsx_bytes([*above, header, *rows], header=None, sheet="Sheet", merges=merges)


# --- one sheet per type, no type column ------------------------------------------------


def test_workbook_with_one_sheet_per_type_reads_every_sheet_and_names_it_in_errors() -> None:
    from openpyxl import Workbook

    book = Workbook()
    single = book.active
    single.title = "单选题"
    single.append(["题目（必填）：", "正确答案（必填）", "选项A（必填）", "选项B（必填）"])
    single.append(["火警电话？", "B", "110", "119"])
    multiple = book.create_sheet("多选题")
    multiple.append(["题目（必填）：", "正确答案（必填）", "选项A（必填）", "选项B（必填）", "选项C"])
    multiple.append(["灭火方法？", "AC", "冷却", "喝水", "隔离"])
    multiple.append(["只有一个答案？", "A", "甲", "乙", ""])
    fill = book.create_sheet("填空题")
    fill.append(["题目（必填）：", "答案A", "答案B"])
    fill.append(["安全生产方针是_(1)_、_(2)_、综合治理。", "安全第一", "预防为主"])
    book.create_sheet("说明").append(["本题库共四题"])
    stream = io.BytesIO()
    book.save(stream)
    result = parse(stream.getvalue())
    assert [(q.type, q.answer) for q in result.questions] == [
        ("single", "B"),
        ("multiple", "AC"),
        ("fill_blank", [["安全第一"], ["预防为主"]]),
    ]
    assert [(e.row, e.column) for e in result.errors] == [(3, "多选题!正确答案（必填）")]


def test_without_a_type_column_types_are_inferred_and_the_file_is_warned() -> None:
    header = ["题目", "选项A", "选项B", "选项C", "答案"]
    result = _sheet(
        header,
        ["火警电话？", "110", "119", "120", "B"],
        ["灭火方法？", "冷却", "窒息", "喝水", "AB"],
        ["电气火灾应先断电。", "正确", "错误", "", "A"],
        ["火警电话是____。", "", "", "", "119"],
    )
    assert [q.type for q in result.questions] == ["single", "multiple", "true_false", "fill_blank"]
    assert result.questions[2].answer is True
    assert [(w.row, w.column) for w in result.warnings] == [(1, "题型")]
    assert "no type column" in result.warnings[0].message


# --- one row per option (yf-exam) ---------------------------------------------------------

YF_HEADER = [
    "题目序号",
    "题目类型",
    "题目内容",
    "整体解析",
    "题目图片",
    "所属题库",
    "是否正确项",
    "选项内容",
    "选项解析",
]


def test_one_row_per_option_layout_is_joined_into_questions() -> None:
    rows = [
        ["1", "1", "火警电话是？", "火警119。", "", "消防", "0", "110", ""],
        ["1", "", "", "", "", "", "1", "119", ""],
        ["1", "", "", "", "", "", "0", "120", ""],
        ["2", "2", "灭火方法有？", "", "", "消防", "1", "冷却", ""],
        ["2", "", "", "", "", "", "0", "喝水", ""],
        ["2", "", "", "", "", "", "1", "隔离", ""],
        ["3", "3", "电气火灾应先断电。", "", "", "消防", "1", "正确", ""],
        ["3", "", "", "", "", "", "0", "错误", ""],
        ["4", "1", "没有正确项？", "", "", "消防", "0", "甲", ""],
        ["4", "", "", "", "", "", "0", "乙", "乙的解析"],
    ]
    result = _sheet(YF_HEADER, *rows)
    assert [(q.row, q.type, q.options, q.answer) for q in result.questions] == [
        (2, "single", ("110", "119", "120"), "B"),
        (5, "multiple", ("冷却", "喝水", "隔离"), "AC"),
        (8, "true_false", (), True),
    ]
    assert result.questions[0].explanation == "火警119。"
    assert [(e.row, e.column) for e in result.errors] == [(10, "是否正确项")]  # no right option: empty answer
    assert "yf-exam" in result.warnings[0].message
    assert result.ignored_columns == ["所属题库", "选项解析"]


def test_one_row_per_option_layout_without_option_text_is_refused_naming_the_layout() -> None:
    with pytest.raises(ImportRefused, match="one-row-per-option layout"):
        _sheet(["题目序号", "题目类型", "题目内容", "是否正确项"], ["1", "1", "火警电话？", "1"])


# --- fill-in-the-blank: blanks and answers --------------------------------------------


@pytest.mark.parametrize(
    ("stem", "answer", "blanks"),
    [
        ("安全生产方针是____、____、综合治理。", "安全第一|预防为主", [["安全第一"], ["预防为主"]]),
        ("安全生产方针是（ ）、（　）、综合治理。", "安全第一|预防为主", [["安全第一"], ["预防为主"]]),
        ("安全生产方针是_(1)_、_(2)_、综合治理。", "安全第一|预防为主", [["安全第一"], ["预防为主"]]),
        ("安全生产方针是（1）、（2）、综合治理。", "安全第一|预防为主", [["安全第一"], ["预防为主"]]),
        ("安全生产方针是()、()、综合治理。", "安全第一；预防为主", [["安全第一"], ["预防为主"]]),
        ("室内____以内，室外____以内。", "4m、8m", [["4m"], ["8m"]]),  # one cell cut at 、 to fit two blanks
        ("架空线路由(   、   )构成。", "导线|杆塔", [["导线"], ["杆塔"]]),
        ("火警电话是多少？", "119", [["119"]]),  # no blank mark: one answer
    ],
)
def test_blanks_match_answers(stem: str, answer: str, blanks: list[list[str]]) -> None:
    result = _sheet(["题型", "题干", "答案"], ["填空题", stem, answer])
    assert result.errors == []
    assert result.questions[0].answer == blanks


@pytest.mark.parametrize(
    ("stem", "answer", "counts"),
    [
        ("安全生产方针是____、____、综合治理。", "安全第一", (2, 1)),
        ("火警电话是____。", "119|110", (1, 2)),
        ("火警电话是多少？", "119|110", (0, 2)),
    ],
)
def test_blank_count_mismatch_is_a_row_error_naming_both_counts(
    stem: str, answer: str, counts: tuple[int, int]
) -> None:
    result = _sheet(["题型", "题干", "答案"], ["填空题", stem, answer])
    assert result.questions == []
    assert [(e.row, e.column) for e in result.errors] == [(2, "答案")]
    assert f"The stem has {counts[0]} blank(s) but the answer gives {counts[1]}" in result.errors[0].message


def test_fill_in_typed_rows_that_are_choice_or_true_false_questions_are_refused_with_the_reason() -> None:
    result = _sheet(
        ["题型", "题干", "A", "B", "答案"],
        ["填空题", "火警电话是（ ）", "110", "119", "B"],
        ["填空题", "备用开关不是运用中的设备。____", "", "", "×"],
    )
    assert result.questions == []
    assert [(e.row, e.column) for e in result.errors] == [(2, "A"), (3, "答案")]
    assert "choice question" in result.errors[0].message
    assert "true/false answer" in result.errors[1].message


# --- csv and legacy .xls ------------------------------------------------------------------


def test_csv_with_options_in_one_cell() -> None:
    data = csv_bytes([["单选题", "火警电话是？", "A.110 B.119", "B"]], header=["题型", "题目", "选项", "正确答案"])
    result = parse(data, "bank.csv")
    assert (result.questions[0].options, result.questions[0].answer) == (("110", "119"), "B")


def test_csv_with_a_title_line_above_the_header() -> None:
    data = "安全知识题库\n题型,题干,选项,答案\n单选题,火警电话是？,A.110 B.119,B\n".encode()
    result = parse(data, "bank.csv")
    assert [(q.row, q.stem, q.answer) for q in result.questions] == [(3, "火警电话是？", "B")]


def test_legacy_xls_is_read_by_question_banks_and_still_refused_elsewhere() -> None:
    data = (REAL / "qbsheet_maogai_practice.xls").read_bytes()
    assert data.startswith(OLE_MAGIC)
    assert check_spreadsheet(data, "题库.xls", allow_xls=True).kind == "xls"
    with pytest.raises(UploadRejected, match="xls"):
        check_spreadsheet(data, "roster.xls")  # the roster and other imports read xlsx and csv only
    table = importers.read_file(data, "题库.xls")
    assert table.rows[0].values["stem"] == "关于矛盾的共性与个性，下列说法中正确的是（）。"


@pytest.mark.django_db
def test_training_admin_uploads_a_legacy_xls(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_client(cast.east.training_admin)
    data = (REAL / "qbsheet_maogai_practice.xls").read_bytes()
    before = Question.objects.filter(bank=east_bank).count()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("question_bank:import_upload", args=[east_bank.pk]),
            {"file": SimpleUploadedFile("题库.xls", data), "valid_only": "on"},
        )
        assert response.status_code == 302
        assert "关于矛盾的共性与个性" in client.get(response["Location"]).content.decode()  # the preview
        client.post(response["Location"], {"valid_only": "on"})
    job = ImportJob.objects.get()
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    # All 995: the 44 填空题 and 42 简答题 keep their answers in option A (read as such).
    assert job.result["counts"]["created"] == 995
    assert Question.objects.filter(bank=east_bank).count() == before + 995


def test_duplicates_are_counted_apart_from_other_warnings() -> None:
    rows = [["不定项选择题", "火警？", "110", "119", "B"], ["不定项选择题", "火警？", "110", "119", "B"]]
    result = _sheet(["题型", "题干", "选项A", "选项B", "答案"], *rows)
    assert result.duplicates == 1
    assert len(result.warnings) == 2  # the duplicate, and the 不定项 stored as single choice


@pytest.mark.django_db
def test_import_command_reads_a_legacy_xls_and_names_the_ignored_columns(tmp_path: Path) -> None:
    from django.core.management import call_command

    path = tmp_path / "题库.xls"
    path.write_bytes((REAL / "qbsheet_maogai_practice.xls").read_bytes())
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_questions", str(path), "--bank", "mg", "--create-bank", "毛概", "--valid-only", stdout=out, stderr=err
    )
    assert "created 995 / updated 0 / unchanged 0 / duplicate 0 / error 0" in out.getvalue()
    assert "ignored columns: 目录、章节" in out.getvalue()
    objective = ["single", "multiple", "true_false", "fill_blank"]
    assert Question.objects.filter(bank__code="mg", type__in=objective).count() == 953
    assert Question.objects.filter(bank__code="mg", type="subjective").count() == 42


def test_stray_markup_is_taken_off_spreadsheet_stems_only() -> None:
    result = _sheet(["题型", "题干", "选项", "答案"], ["单选题", "** 火警电话是<b>多少</b>？", "A.110 B.119", "B"])
    assert result.questions[0].stem == "火警电话是多少？"
    # Rows from other readers (GIFT [html], say) keep what their reader made of the stem.
    row = importers.RawRow(1, {"type": "单选题", "stem": "火警电话是<b>多少</b>？", "option_a": "110",
                               "option_b": "119", "answer": "B"})  # fmt: skip
    assert importers.validate(importers.RawTable(rows=[row], labels={})).questions[0].stem == "火警电话是<b>多少</b>？"
